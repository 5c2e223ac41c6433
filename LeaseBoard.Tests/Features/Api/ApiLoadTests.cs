using System.Net;
using System.Net.Http.Json;
using LeaseBoard.Domain;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Features.Api;

public sealed class ApiConcurrencyTests(ApiTestHost host, ITestOutputHelper output) : IClassFixture<ApiTestHost>
{
    [Fact]
    public async Task Sixty_four_clients_booking_one_slot_through_http_give_one_201_and_63_409s_and_no_overlap()
    {
        var tokens = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => host.TokenAsync(new Actor($"local:load{i}", $"Load {i}", false))));
        var clients = tokens.Select(host.Client).ToList();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = clients.Select(client => Task.Run(async () =>
        {
            await gate.Task;
            using var response = await client.PostAsJsonAsync("/api/v1/reservations",
                new { environment = "env-1", start = ApiTestHost.At(7, 12), durationMinutes = 60, title = "contested" });
            return response.StatusCode;
        })).ToList();
        gate.SetResult();
        var statuses = await Task.WhenAll(attempts);

        output.WriteLine(string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{(int)g.Key}: {g.Count()}")));
        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(63, statuses.Count(s => s == HttpStatusCode.Conflict));
        var database = host.Factory.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<LeaseBoard.Data.LeaseBoardDb>>();
        await using var db = await database.CreateDbContextAsync();
        Assert.Empty(await OverlapCheck.FindOverlappingPairsAsync(db, TimeSpan.FromMinutes(10)));
        foreach (var client in clients) client.Dispose();
    }
}

public sealed class ApiRandomOverlapTests(ApiTestHost host) : IClassFixture<ApiTestHost>
{
    [Fact]
    public async Task Thirty_two_clients_booking_random_overlapping_slots_get_exactly_what_a_serial_schedule_allows()
    {
        var random = new Random(20261129);
        var day = DateTime.UtcNow.Date.AddDays(9);
        var slots = Enumerable.Range(0, 32).Select(_ =>
        {
            var start = day.AddHours(9).AddMinutes(5 * random.Next(0, 25)); // inside 09:00-12:00
            return (Start: start, End: start.AddMinutes(5 * random.Next(4, 13)));
        }).ToList();
        var tokens = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => host.TokenAsync(new Actor($"local:rnd{i}", $"Random {i}", false))));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = slots.Select((slot, i) => Task.Run(async () =>
        {
            using var client = host.Client(tokens[i]);
            await gate.Task;
            using var response = await client.PostAsJsonAsync("/api/v1/reservations", new
            {
                environment = "env-5", start = slot.Start.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), durationMinutes = (int)(slot.End - slot.Start).TotalMinutes, title = "random",
            });
            return (slot, response.StatusCode);
        })).ToList();
        gate.SetResult();
        var results = await Task.WhenAll(attempts);

        var buffer = TimeSpan.FromMinutes(10);
        bool Collide((DateTime Start, DateTime End) a, (DateTime Start, DateTime End) b) => a.Start < b.End + buffer && b.Start < a.End + buffer;
        var winners = results.Where(r => r.StatusCode == HttpStatusCode.Created).Select(r => r.slot).ToList();
        Assert.All(results, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.Conflict }));
        Assert.NotEmpty(winners);
        // Serialisable: the winners never collide, and every loser collides with a winner (it lost to someone real).
        Assert.All(winners, w => Assert.Single(winners, x => Collide(w, x)));
        Assert.All(results.Where(r => r.StatusCode == HttpStatusCode.Conflict), r => Assert.Contains(winners, w => Collide(r.slot, w)));
    }
}

public sealed class RateLimitedApiHost() : ApiTestHost(new() { ["LeaseBoard:Api:RequestsPerMinute"] = "3" });

public sealed class ApiRateLimitTests(RateLimitedApiHost host) : IClassFixture<RateLimitedApiHost>
{
    [Fact]
    public async Task A_token_past_its_rate_gets_429_with_retry_after_and_other_tokens_are_not_affected()
    {
        using var busy = host.Client(await host.TokenAsync(TestActors.Ana));
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await busy.GetAsync("/api/v1/environments")).StatusCode);

        using var limited = await busy.GetAsync("/api/v1/environments");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.InRange(int.Parse(limited.Headers.GetValues("Retry-After").Single()), 1, 60);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);

        using var other = host.Client(await host.TokenAsync(TestActors.Ben));
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/v1/environments")).StatusCode);
    }
}
