using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Api;
using LeaseBoard.Features.Tokens;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Benchmarks;

/// <summary>The API's two concurrency workloads over real loopback HTTP, three runs each, and 50 bookings in a row.</summary>
[Trait("Category", "Benchmark")]
public sealed class ApiBenchmarks(ITestOutputHelper output)
{
    [BenchmarkFact]
    public async Task Api_concurrency_workloads_and_serial_booking_latency()
    {
        for (var run = 1; run <= 3; run++)
        {
            await using var app = new LeaseBoardAppFactory(settings: new Dictionary<string, string?>
            {
                ["LeaseBoard:Api:RequestsPerMinute"] = "100000", ["LeaseBoard:Booking:MaxUpcomingPerUser"] = "1000", ["LeaseBoard:Booking:MaxHoursPerWeekPerUser"] = "168",
            });
            var baseAddress = app.StartOnLoopbackPort();
            var day = DateTime.UtcNow.Date.AddDays(3);

            var same = await WorkloadAsync(app, baseAddress, 64, _ => (day.AddHours(10), day.AddHours(11)));
            output.WriteLine($"run {run}, 64 clients, one slot: {same}");
            var random = new Random(run);
            var overlapping = await WorkloadAsync(app, baseAddress, 32, _ =>
            {
                var start = day.AddHours(14).AddMinutes(5 * random.Next(0, 25));
                return (start, start.AddMinutes(5 * random.Next(4, 13)));
            });
            output.WriteLine($"run {run}, 32 clients, random slots in 3 h on one environment: {overlapping}");

            if (run == 1)
            {
                using var client = Client(baseAddress, await TokenAsync(app, new Actor("local:serial", "Serial", true)));
                var latencies = new List<double>();
                for (var i = 0; i < 50; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    using var response = await client.PostAsJsonAsync("/api/v1/reservations",
                        new { environment = "env-3", start = day.AddDays(1).AddMinutes(30 * i).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), durationMinutes = 20, title = "serial" });
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                }
                output.WriteLine($"one client, 50 free slots in a row: {Figures.Summary(latencies, " ms")}");
            }
        }
    }

    private static async Task<string> WorkloadAsync(LeaseBoardAppFactory app, Uri baseAddress, int clients, Func<int, (DateTime Start, DateTime End)> slot)
    {
        var tokens = new List<string>();
        for (var i = 0; i < clients; i++) tokens.Add(await TokenAsync(app, new Actor($"local:bench{Guid.NewGuid():N}", $"Bench {i}", false)));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = tokens.Select((token, i) => Task.Run(async () =>
        {
            using var client = Client(baseAddress, token);
            var (start, end) = slot(i);
            await gate.Task;
            var started = Stopwatch.GetTimestamp();
            using var response = await client.PostAsJsonAsync("/api/v1/reservations",
                new { environment = "env-1", start = start.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), durationMinutes = (int)(end - start).TotalMinutes, title = "bench" });
            return (response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        })).ToList();
        gate.SetResult();
        var results = await Task.WhenAll(attempts);
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>().CreateDbContextAsync();
        var overlaps = (await OverlapCheck.FindOverlappingPairsAsync(db, TimeSpan.FromMinutes(10))).Count;
        return $"{results.Count(r => r.StatusCode == HttpStatusCode.Created)} created, {results.Count(r => r.StatusCode == HttpStatusCode.Conflict)} conflicts, " +
               $"{results.Count(r => (int)r.StatusCode >= 500)} errors, {overlaps} overlapping pairs; latency {Percentiles(results.Select(r => r.Item2).ToList())}";
    }

    private static string Percentiles(List<double> values)
    {
        var sorted = values.Order().ToArray();
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return $"p50={At(0.5):0} ms p90={At(0.9):0} ms p99={At(0.99):0} ms max={sorted[^1]:0} ms";
    }

    private static async Task<string> TokenAsync(LeaseBoardAppFactory app, Actor owner) =>
        (await app.Services.GetRequiredService<ApiTokenService>().CreateAsync(owner, "bench", ApiScope.Book, 1)).Created!.Token;

    private static HttpClient Client(Uri baseAddress, string token) =>
        new() { BaseAddress = baseAddress, DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };
}
