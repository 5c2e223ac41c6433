using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Api;
using LeaseBoard.Features.Tokens;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Benchmarks;

/// <summary>
/// Issue 15's booking workloads against the real app as a child process (<c>dotnet LeaseBoard.dll</c> from the test
/// output, so Release when the tests are built with <c>-c Release</c>), Production environment, default SQLite set-up,
/// over loopback HTTP, every client a user of its own (signed in through the local sign-in form, with its own
/// book-scoped API token). Five runs of each workload:
/// (a) one client, 50 sequential bookings of free slots; (b) 64 clients book the same slot at once; (c) 32 clients,
/// random overlapping slots on one environment; (d) the first 64-client burst after a fresh start, against a warm
/// burst of the same process right after it. Each run prints p50/p95/p99/max, the HTTP status counts and the number
/// of overlapping live reservations found by plain SQL on the app's SQLite file; the summary gives the ranges over the
/// runs against the targets. It asserts only sanity (no 5xx, exactly one winner of a race, no overlaps).
/// </summary>
[Trait("Category", "Benchmark")]
public sealed class BookingSpeedBenchmark(ITestOutputHelper output)
{
    private const int Runs = 5;
    private const int Racers = 64;
    private const int Mixers = 32;
    private const int Serial = 50;

    [BenchmarkFact]
    public async Task Booking_speed_over_http_against_the_real_app_process()
    {
        output.WriteLine(BenchmarkBuild.Describe());
        await using var bench = BenchmarkApp.Create();
        var app = await bench.StartAsync("warm");
        output.WriteLine($"app process ready after {app.StartupTime.TotalMilliseconds:0} ms at {app.BaseAddress} (log {app.LogPath})");

        var clock = Stopwatch.StartNew();
        var serial = (await bench.UsersAsync(app, "Bench Serial", 1)).Single();
        var racers = await bench.UsersAsync(app, "Bench Racer", Racers);
        var mixers = await bench.UsersAsync(app, "Bench Mixer", Mixers);
        output.WriteLine($"{1 + Racers + Mixers} users signed in over HTTP, one token each, in {clock.Elapsed.TotalSeconds:0.0} s");

        // Not counted: the first requests of a fresh process (that is workload d).
        await RaceAsync(app, racers, "env-5", Day(-1).AddHours(10), 60);
        await BookInTurnAsync(app, serial, "env-5", Day(-1).AddHours(14), 10);

        var results = new Dictionary<string, List<RunFigures>> { ["a"] = [], ["b"] = [], ["c"] = [], ["d"] = [], ["d-warm"] = [] };
        for (var run = 1; run <= Runs; run++)
        {
            var day = Day(run);
            results["a"].Add(await Report("a", run, await MeasureAsync(app, () => BookInTurnAsync(app, serial, "env-3", day, Serial)), bench));
            results["b"].Add(await Report("b", run, await MeasureAsync(app, () => RaceAsync(app, racers, "env-1", day.AddHours(10), 60)), bench));
            var random = new Random(run);
            var slots = Enumerable.Range(0, Mixers).Select(_ =>
            {
                var start = day.AddHours(14).AddMinutes(5 * random.Next(0, 25));
                return (start, 5 * random.Next(4, 13)); // 20–60 minutes inside 14:00–17:00
            }).ToList();
            results["c"].Add(await Report("c", run, await MeasureAsync(app, () => BurstAsync(app, mixers, "env-2", slots)), bench));
        }

        for (var run = 1; run <= Runs; run++)
        {
            await bench.StopAsync(app);
            app = await bench.StartAsync($"cold-{run}");
            var day = Day(run);
            var cold = await MeasureAsync(app, () => RaceAsync(app, racers, "env-4", day.AddHours(10), 60));
            var warm = await MeasureAsync(app, () => RaceAsync(app, racers, "env-4", day.AddHours(13), 60));
            results["d"].Add(await Report("d", run, cold, bench, $"ready after {app.StartupTime.TotalMilliseconds:0} ms; first burst"));
            results["d-warm"].Add(await Report("d", run, warm, bench, "second burst of the same process"));
        }

        output.WriteLine("");
        output.WriteLine($"Summary over {Runs} runs (ranges min–max, median in brackets); {BenchmarkBuild.Configuration} build:");
        output.WriteLine($"(a) one client, {Serial} sequential bookings: p50 {Range(results["a"], r => r.P50)} (target ≤ 5 ms), p99 {Range(results["a"], r => r.P99)}");
        output.WriteLine($"(b) {Racers} clients, one slot: p50 {Range(results["b"], r => r.P50)} (target ≤ 100 ms), p99 {Range(results["b"], r => r.P99)} (target ≤ 200 ms); " +
                         $"booked per run {string.Join("/", results["b"].Select(r => r.Created))} (target exactly 1); overlaps {string.Join("/", results["b"].Select(r => r.Overlaps))}");
        output.WriteLine($"(c) {Mixers} clients, random overlapping slots: p50 {Range(results["c"], r => r.P50)} (target ≤ 60 ms), p99 {Range(results["c"], r => r.P99)}; " +
                         $"booked per run {string.Join("/", results["c"].Select(r => r.Created))}; overlaps {string.Join("/", results["c"].Select(r => r.Overlaps))} (target 0)");
        var ratios = results["d"].Zip(results["d-warm"], (cold, warm) => cold.P50 / warm.P50).ToList();
        output.WriteLine($"(d) first {Racers}-client burst after start-up: p50 {Range(results["d"], r => r.P50)}, warm burst p50 {Range(results["d-warm"], r => r.P50)}; " +
                         $"cold/warm p50 {Range(ratios, r => r, "×", "0.00")} (target ≤ 1.5×); against the long-warm process's (b) median p50 " +
                         $"{Range(results["d"], r => r.P50 / Median(results["b"].Select(b => b.P50)), "×", "0.00")}");

        foreach (var (workload, runs) in results)
        {
            Assert.All(runs, r => Assert.Equal(0, r.ServerErrors));
            Assert.All(runs, r => Assert.Equal(0, r.Overlaps));
            if (workload is "b" or "d" or "d-warm") Assert.All(runs, r => Assert.Equal(1, r.Created));
            if (workload == "a") Assert.All(runs, r => Assert.Equal(Serial, r.Created));
        }
    }

    /// <summary>A future day of its own for each run (runs 1–5 and the warm-up at -1): two days apart, inside the 30-day horizon.</summary>
    private static DateTime Day(int run) => DateTime.UtcNow.Date.AddDays(4 + 2 * run);

    private async Task<RunFigures> Report(string workload, int run, Measured measured, BenchmarkApp bench, string note = "")
    {
        var figures = RunFigures.Of(measured.Attempts, await bench.OverlapsAsync(TimeSpan.Zero), await bench.OverlapsAsync(TimeSpan.FromMinutes(10)));
        output.WriteLine($"({workload}) run {run}{(note.Length > 0 ? $", {note}" : "")}: {figures}; " +
                         $"CPU per request: app {measured.AppCpu.TotalMilliseconds / measured.Attempts.Count:0.0} ms, client {measured.ClientCpu.TotalMilliseconds / measured.Attempts.Count:0.0} ms");
        return figures;
    }

    /// <summary>A workload's attempts and the processor time the app process and this (client) process spent on it.</summary>
    private sealed record Measured(List<Attempt> Attempts, TimeSpan AppCpu, TimeSpan ClientCpu);

    private static async Task<Measured> MeasureAsync(AppProcess app, Func<Task<List<Attempt>>> workload)
    {
        using var server = Process.GetProcessById(app.ProcessId);
        using var client = Process.GetCurrentProcess();
        var (serverBefore, clientBefore) = (server.TotalProcessorTime, client.TotalProcessorTime);
        var attempts = await workload();
        server.Refresh();
        client.Refresh();
        return new Measured(attempts, server.TotalProcessorTime - serverBefore, client.TotalProcessorTime - clientBefore);
    }

    private static async Task<List<Attempt>> BookInTurnAsync(AppProcess app, string token, string environment, DateTime from, int count)
    {
        using var client = Client(app, token);
        var attempts = new List<Attempt>();
        // 20 minutes every 30: the 10-minute changeover buffer fits between, so every one is free.
        for (var i = 0; i < count; i++)
            attempts.Add(await BookAsync(client, environment, from.AddMinutes(30 * i), 20));
        return attempts;
    }

    private static Task<List<Attempt>> RaceAsync(AppProcess app, IReadOnlyList<string> tokens, string environment, DateTime start, int minutes) =>
        BurstAsync(app, tokens, environment, tokens.Select(_ => (start, minutes)).ToList());

    /// <summary>Every client on its own connection, released at once by one gate.</summary>
    private static async Task<List<Attempt>> BurstAsync(AppProcess app, IReadOnlyList<string> tokens, string environment, IReadOnlyList<(DateTime Start, int Minutes)> slots)
    {
        var clients = tokens.Select(token => Client(app, token)).ToList();
        try
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var attempts = clients.Select((client, i) => Task.Run(async () =>
            {
                await gate.Task;
                return await BookAsync(client, environment, slots[i].Start, slots[i].Minutes);
            })).ToList();
            gate.SetResult();
            return [.. await Task.WhenAll(attempts)];
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
        }
    }

    private static async Task<Attempt> BookAsync(HttpClient client, string environment, DateTime start, int minutes)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await client.PostAsJsonAsync("/api/v1/reservations", new
            {
                environment, start = start.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), durationMinutes = minutes, title = "speed bench",
            });
            return new Attempt(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return new Attempt(e.GetType().Name, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private static HttpClient Client(AppProcess app, string token) => new()
    {
        BaseAddress = app.BaseAddress,
        Timeout = TimeSpan.FromSeconds(60),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
    };

    private static string Range<T>(IReadOnlyCollection<T> runs, Func<T, double> value, string unit = " ms", string format = "0.0")
    {
        var sorted = runs.Select(value).Order().ToArray();
        string F(double v) => v.ToString(format, CultureInfo.InvariantCulture);
        return $"{F(sorted[0])}–{F(sorted[^1])}{unit} ({F(sorted[sorted.Length / 2])})";
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private sealed record Attempt(string Status, double Milliseconds);

    private sealed record RunFigures(int Count, double P50, double P95, double P99, double Max, string Statuses, int Created, int ServerErrors, int Overlaps, int WithinBuffer)
    {
        public static RunFigures Of(List<Attempt> attempts, int overlaps, int withinBuffer)
        {
            var sorted = attempts.Select(a => a.Milliseconds).Order().ToArray();
            double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
            var statuses = string.Join(" ", attempts.GroupBy(a => a.Status).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}×{g.Count()}"));
            return new RunFigures(sorted.Length, At(0.5), At(0.95), At(0.99), sorted[^1], statuses,
                attempts.Count(a => a.Status == "201"), attempts.Count(a => a.Status.StartsWith('5') || !char.IsDigit(a.Status[0])), overlaps, withinBuffer);
        }

        public override string ToString() =>
            $"n={Count} p50={P50:0.0} ms p95={P95:0.0} ms p99={P99:0.0} ms max={Max:0.0} ms; HTTP {Statuses}; " +
            $"overlapping live pairs in the database: {Overlaps} ([start,end)), {WithinBuffer} (with the 10-minute changeover buffer)";
    }
}

/// <summary>Which build of the app a benchmark measured: the LeaseBoard.dll the child process runs is the one loaded here.</summary>
internal static class BenchmarkBuild
{
    private static Assembly App => typeof(LeaseBoard.Domain.Reservation).Assembly;

    public static string Configuration => App.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "unknown";

    public static string Describe()
    {
        var optimized = App.GetCustomAttribute<DebuggableAttribute>() is not { IsJITOptimizerDisabled: true };
        return $"Measured build: LeaseBoard.dll {Configuration} ({(optimized ? "JIT-optimised" : "JIT optimisation disabled: not a speed figure")}), " +
               $".NET {Environment.Version}, {Environment.ProcessorCount} cores, load average {LoadAverage()}" +
               (Configuration == "Release" ? "" : " — run with `dotnet test -c Release` for figures that count");
    }

    private static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "unknown"; }
    }
}

/// <summary>
/// The app as a child process in Production on a SQLite file in a temp folder of its own, the rate limit and the
/// per-user limits raised so the workloads measure booking, not refusals. Users sign in through the local sign-in
/// form (allowed outside Development by its setting); their tokens are made by the app's own
/// <see cref="ApiTokenService"/> on the app's database, as the tokens page makes them (that page is a live circuit,
/// not a form a benchmark can post).
/// </summary>
internal sealed class BenchmarkApp : IAsyncDisposable
{
    private readonly List<AppProcess> _instances = [];
    private readonly Dictionary<string, string> _settings;
    private readonly DbContextOptions<SqliteLeaseBoardDb> _dbOptions;

    private BenchmarkApp(string folder)
    {
        Folder = folder;
        DatabasePath = Path.Combine(folder, "leaseboard.db");
        Directory.CreateDirectory(Path.Combine(folder, "simulated"));
        _settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["LeaseBoard__LocalSignIn__AllowOutsideDevelopment"] = "true",
            [$"ConnectionStrings__{DatabaseProviders.ConnectionStringName}"] = $"Data Source={DatabasePath}",
            ["LeaseBoard__DemoData__Enabled"] = "false",
            ["LeaseBoard__Framework__Driver"] = "Simulated",
            ["LeaseBoard__Framework__Simulated__StatePath"] = Path.Combine(folder, "simulated", "state.json"),
            ["LeaseBoard__Api__RequestsPerMinute"] = "100000",
            // The product's own warm-up, not the tests' brief one (AppProcess's default).
            ["LeaseBoard__Api__WarmUpRounds"] = new ApiOptions().WarmUpRounds.ToString(CultureInfo.InvariantCulture),
            ["LeaseBoard__Api__WarmUpJitSettle"] = new ApiOptions().WarmUpJitSettle.ToString("c", CultureInfo.InvariantCulture),
            ["LeaseBoard__Booking__MaxUpcomingPerUser"] = "1000",
            ["LeaseBoard__Booking__MaxHoursPerWeekPerUser"] = "168",
            // Info logs of every request would measure the console, not booking.
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information", // "Now listening on" tells AppProcess the port
        };
        var options = new DbContextOptionsBuilder<SqliteLeaseBoardDb>();
        DatabaseProviders.ConfigureSqlite(options, DatabaseProviders.PrepareSqliteFile($"Data Source={DatabasePath}", folder));
        _dbOptions = options.Options;
    }

    public string Folder { get; }
    public string DatabasePath { get; }

    public static BenchmarkApp Create()
    {
        var folder = Path.Combine(Path.GetTempPath(), "leaseboard-tests", "bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return new BenchmarkApp(folder);
    }

    /// <summary>A new process on the same folder and database: a fresh start with the data (users, tokens) kept.</summary>
    public async Task<AppProcess> StartAsync(string name)
    {
        var app = await AppProcess.StartAsync(name, Folder, _settings);
        _instances.Add(app);
        return app;
    }

    public async Task StopAsync(AppProcess app)
    {
        _instances.Remove(app);
        await app.DisposeAsync();
    }

    /// <summary><paramref name="count"/> users named "<paramref name="prefix"/> N": each signs in over HTTP, then gets a token of its own.</summary>
    public async Task<List<string>> UsersAsync(AppProcess app, string prefix, int count)
    {
        using var tokens = new ApiTokenService(new Databases(_dbOptions), TimeProvider.System,
            new LeaseBoard.Features.LiveUpdates.BoardEvents(Microsoft.Extensions.Logging.Abstractions.NullLogger<LeaseBoard.Features.LiveUpdates.BoardEvents>.Instance), new WriteTurns());
        var result = new List<string>();
        for (var i = 1; i <= count; i++)
        {
            var name = $"{prefix} {i}";
            using (var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = app.BaseAddress })
            using (var signedIn = await browser.SignInAsync(name))
            {
                Assert.True(signedIn.StatusCode == HttpStatusCode.Redirect && signedIn.Headers.Contains("Set-Cookie"),
                    app.Describe($"The local sign-in of {name} answered {(int)signedIn.StatusCode} without a cookie"));
            }
            var (created, error) = await tokens.CreateAsync(new Actor("local:" + name.ToLowerInvariant(), name, IsAdmin: false), "speed bench", ApiScope.Book, 1);
            result.Add(created?.Token ?? throw new InvalidOperationException($"No token for {name}: {error}"));
        }
        return result;
    }

    /// <summary>Pairs of live reservations on one environment whose slots collide (plus <paramref name="buffer"/>), by plain SQL on the file.</summary>
    public async Task<int> OverlapsAsync(TimeSpan buffer)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM ({OverlapCheck.Sql(DatabaseProvider.Sqlite, buffer).TrimEnd().TrimEnd(';')})";
        return Convert.ToInt32(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _instances) await app.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private sealed class Databases(DbContextOptions<SqliteLeaseBoardDb> options) : IDbContextFactory<LeaseBoardDb>
    {
        public LeaseBoardDb CreateDbContext() => new SqliteLeaseBoardDb(options);
    }
}
