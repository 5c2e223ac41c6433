using LeaseBoard.Data;
using System.Diagnostics;
using LeaseBoard.Domain;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Setup;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Benchmarks;

/// <summary>
/// Live push figures: hub fan-out to 200 clients (one instance, and two instances over a real Redis
/// backplane), and the server memory an open wall costs. Hosts of their own, job servers off.
/// </summary>
[Trait("Category", "Benchmark")]
public sealed class LiveUpdatesBenchmarks(ITestOutputHelper output)
{
    private const string Key = "benchmark-kiosk-key";
    private const int Clients = 200;
    private const int Publishes = 20;

    private static Dictionary<string, string?> Settings(string? database = null, string? redis = null)
    {
        var settings = new Dictionary<string, string?> { ["LeaseBoard:Wall:KioskKey"] = Key };
        if (database is not null) settings[$"ConnectionStrings:{DatabaseProviders.ConnectionStringName}"] = $"Data Source={database}";
        if (redis is not null) settings[LiveUpdatesSetup.RedisSetting] = redis;
        return settings;
    }

    [BenchmarkFact]
    public async Task Fan_out_of_one_publish_to_200_hub_clients_on_one_instance()
    {
        await using var host = new LeaseBoardAppFactory(settings: Settings());
        var address = host.StartOnLoopbackPort();
        var figures = await FanOutAsync(host.Services.GetRequiredService<BoardEvents>(), [.. Enumerable.Repeat(address, Clients)]);
        output.WriteLine($"Fan-out, 1 instance, {Clients} hub clients, publish → last receipt over {Publishes} publishes: {figures}");
    }

    [BenchmarkFact]
    public async Task Fan_out_of_one_publish_to_200_hub_clients_across_two_instances_over_Redis()
    {
        await using var redis = await RedisServer.StartAsync();
        var folder = Path.Combine(Path.GetTempPath(), "leaseboard-tests", "bench-" + Guid.NewGuid().ToString("N"));
        var settings = Settings(Path.Combine(folder, "shared.db"), redis.ConnectionString);
        try
        {
            await using var a = new LeaseBoardAppFactory(settings: settings);
            var addressA = a.StartOnLoopbackPort();
            await using var b = new LeaseBoardAppFactory(settings: settings);
            var addressB = b.StartOnLoopbackPort();

            // Half the clients on each instance; every publish happens on A.
            var addresses = Enumerable.Range(0, Clients).Select(i => i % 2 == 0 ? addressA : addressB).ToArray();
            var figures = await FanOutAsync(a.Services.GetRequiredService<BoardEvents>(), addresses);
            output.WriteLine($"Fan-out, 2 instances + Redis backplane, {Clients} hub clients (100 per instance), publish on A → last receipt: {figures}");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private async Task<string> FanOutAsync(BoardEvents events, Uri[] addresses)
    {
        var clients = new List<BoardHubClient>();
        try
        {
            var round = 0;
            var remaining = 0;
            var lastReceipt = 0L;
            foreach (var batch in addresses.Chunk(20))
                clients.AddRange(await Task.WhenAll(batch.Select(address => BoardHubClient.ConnectAsync(address, Key))));
            foreach (var client in clients)
                client.OnReceived = e =>
                {
                    if (e is EnvironmentChanged change && change.EnvironmentId == -Volatile.Read(ref round) && Interlocked.Decrement(ref remaining) == 0)
                        Volatile.Write(ref lastReceipt, Stopwatch.GetTimestamp());
                };

            var delays = new List<double>();
            for (var i = 1; i <= Publishes + 2; i++) // the first two warm up
            {
                Volatile.Write(ref remaining, clients.Count);
                Volatile.Write(ref round, i);
                var published = Stopwatch.GetTimestamp();
                events.Publish(new EnvironmentChanged(-i, "bench", EnvironmentState.Available, HealthStatus.Healthy));
                await Eventually.TrueAsync(() => Volatile.Read(ref remaining) == 0, TimeSpan.FromSeconds(30), $"all {clients.Count} clients received publish {i}");
                if (i > 2) delays.Add(Stopwatch.GetElapsedTime(published, Volatile.Read(ref lastReceipt)).TotalMilliseconds);
            }
            return Figures.Summary(delays, " ms");
        }
        finally
        {
            foreach (var client in clients) await client.DisposeAsync();
        }
    }

    [BenchmarkFact]
    public async Task Server_memory_per_open_wall_with_1_50_and_100_walls()
    {
        await using var host = new LeaseBoardAppFactory(settings: Settings());
        var address = host.StartOnLoopbackPort();
        // A few renderer processes for 100 pages of one site: the server side is what is measured.
        await using var chromium = await Chromium.LaunchAsync("--renderer-process-limit=8");
        var context = await chromium.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1920, Height = 1080 } });

        // One wall first (JIT, caches, the feed's first snapshot) so the baseline is a warm server.
        var pages = new List<IPage>();
        await OpenWallAsync(context, address, pages);
        var (heap0, workingSet0) = Measure();
        var lines = new List<string> { $"baseline with 1 wall: managed heap {heap0 / 1048576.0:0.0} MiB, working set {workingSet0 / 1048576.0:0.0} MiB" };
        foreach (var target in new[] { 2, 51, 101 })
        {
            while (pages.Count < target) await OpenWallAsync(context, address, pages);
            var (heap, workingSet) = Measure();
            var added = target - 1;
            lines.Add($"{added} more walls ({target} open): managed heap +{(heap - heap0) / 1048576.0:0.0} MiB ({(heap - heap0) / 1024.0 / added:0} KiB per wall), " +
                      $"working set +{(workingSet - workingSet0) / 1048576.0:0.0} MiB ({(workingSet - workingSet0) / 1024.0 / added:0} KiB per wall)");
        }
        foreach (var line in lines) output.WriteLine(line);
        await context.CloseAsync();
    }

    private static async Task OpenWallAsync(IBrowserContext context, Uri address, List<IPage> pages)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(address, $"/wall?key={Key}").ToString());
        await Assertions.Expect(page.GetByTestId("wall-banner")).ToHaveAttributeAsync("data-live", "true", new() { Timeout = 60_000 });
        pages.Add(page);
    }

    /// <summary>The test process is the server (and the test): managed heap after a full GC, and the working set.</summary>
    private static (long Heap, long WorkingSet) Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return (heap, self.WorkingSet64);
    }
}
