using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Api;
using LeaseBoard.Features.Tokens;
using LeaseBoard.Features.Framework;
using LeaseBoard.Setup;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>
/// One app configuration for crash tests: a temp folder holding the SQLite database, the framework's state
/// (the Simulated store and the Process run registry, both set explicitly into the folder), the logs and, for the
/// Process driver, the test scripts. Every <see cref="StartAsync"/> starts the same configuration as a child
/// process on that folder, so a second start after a SIGKILL is a real restart. The test reads the database
/// directly where the API does not show something. Disposal kills every child and every test process left.
/// </summary>
public sealed class CrashTestApp : IAsyncDisposable
{
    public const string Environment = "env-1";

    /// <summary>A lease ends this long after its slot at the latest (run poll every 5 s, a stop, a save).</summary>
    public static readonly TimeSpan EndTolerance = TimeSpan.FromSeconds(15);

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private static readonly Actor Owner = new("crash-test", "Crash Test", IsAdmin: false);

    private readonly Dictionary<string, string> _settings;
    private readonly List<AppProcess> _instances = [];
    private readonly DbContextOptions<SqliteLeaseBoardDb> _dbOptions;
    private readonly ITestOutputHelper? _output;
    private string? _token;

    private CrashTestApp(string folder, FrameworkDriver driver, IReadOnlyDictionary<string, string>? settings, ITestOutputHelper? output)
    {
        Folder = folder;
        _output = output;
        var database = Path.Combine(folder, "leaseboard.db");
        Directory.CreateDirectory(Path.Combine(folder, "simulated"));
        Directory.CreateDirectory(Path.Combine(folder, "process-runs"));
        _settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development", // the local sign-in refuses to start elsewhere
            [$"ConnectionStrings__{DatabaseProviders.ConnectionStringName}"] = $"Data Source={database}",
            ["LeaseBoard__DemoData__Enabled"] = "false",
            ["LeaseBoard__Framework__Driver"] = driver.ToString(),
            // Both durable stores, explicitly in this folder (unknown settings are ignored by an app that has none).
            ["LeaseBoard__Framework__Simulated__StatePath"] = SimulatedStatePath,
            ["LeaseBoard__Framework__Process__StateDirectory"] = ProcessStateDirectory,
            // Leases that start now and end within two minutes.
            ["LeaseBoard__Booking__GridMinutes"] = "1",
            ["LeaseBoard__Booking__MinDuration"] = "00:05:00",
            ["LeaseBoard__Booking__PastTolerance"] = "00:05:00",
            ["LeaseBoard__Leases__StopGracePeriod"] = "00:00:10",
            // The tests poll the API twice a second, for minutes.
            ["LeaseBoard__Api__RequestsPerMinute"] = "10000",
        };
        if (driver == FrameworkDriver.Process)
        {
            var scripts = Path.Combine(folder, "scripts");
            Directory.CreateDirectory(scripts);
            foreach (var script in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Features", "Leases", "Crash", "scripts")))
                File.Copy(script, Path.Combine(scripts, Path.GetFileName(script)));
            _settings["LeaseBoard__Framework__Process__StartCommand"] = $"sh {TestScript} {{environment}} {{token}} {StartsLog}";
            _settings["LeaseBoard__Framework__Process__HealthCommand"] = "true";
            _settings["LeaseBoard__Framework__Process__ResetCommand"] = $"sh {Path.Combine(scripts, "record-reset.sh")} {{environment}} {{token}} {ResetsLog}";
            _settings["LeaseBoard__Framework__Process__WorkingDirectory"] = folder;
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            _settings[key] = value;

        var options = new DbContextOptionsBuilder<SqliteLeaseBoardDb>();
        DatabaseProviders.ConfigureSqlite(options, DatabaseProviders.PrepareSqliteFile($"Data Source={database}", folder));
        _dbOptions = options.Options;
    }

    public string Folder { get; }
    public string SimulatedStatePath => Path.Combine(Folder, "simulated", "state.json");
    public string ProcessStateDirectory => Path.Combine(Folder, "process-runs");

    /// <summary>The Process driver's test: its path is unique to this folder, so it marks the test's processes in /proc.</summary>
    public string TestScript => Path.Combine(Folder, "scripts", "endless-progress.sh");

    /// <summary>One line per start of the test script: its pid, environment and fencing token.</summary>
    public string StartsLog => Path.Combine(Folder, "starts.log");

    /// <summary>One line per reset: environment and fencing token.</summary>
    public string ResetsLog => Path.Combine(Folder, "resets.log");

    /// <summary>A new folder and configuration; <paramref name="output"/> hears each start-up time.</summary>
    public static CrashTestApp Create(FrameworkDriver driver, ITestOutputHelper? output = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "leaseboard-tests", "crash-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return new CrashTestApp(folder, driver, settings, output);
    }

    /// <summary>Starts this configuration (plus <paramref name="extra"/>) as a child process and waits until it is ready.</summary>
    public async Task<AppProcess> StartAsync(string name, bool loadTestHooks = false, IReadOnlyDictionary<string, string>? extra = null)
    {
        var environment = new Dictionary<string, string>(_settings, StringComparer.Ordinal);
        if (loadTestHooks) environment["ASPNETCORE_HOSTINGSTARTUPASSEMBLIES"] = typeof(CrashTestHooks).Assembly.GetName().Name!;
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            environment[key] = value;
        var app = await AppProcess.StartAsync(name, Folder, environment, loadTestHooks);
        _instances.Add(app);
        _output?.WriteLine($"{name} (pid {app.ProcessId}) ready after {app.StartupTime.TotalSeconds:0.0} s at {app.BaseAddress}");
        if (loadTestHooks)
        {
            // A hosting startup that cannot be loaded is silently skipped: make sure it is there.
            using var response = await app.Http.GetAsync(CrashTestHooks.ActiveRunsPath);
            Assert.True(response.IsSuccessStatusCode, app.Describe($"The crash-test hooks did not load into {name} (GET {CrashTestHooks.ActiveRunsPath} = {(int)response.StatusCode})"));
        }
        return app;
    }

    /// <summary>An API client for <paramref name="app"/> with a book-scoped token, created in the database once the app migrated it.</summary>
    public async Task<ApiClient> ApiAsync(AppProcess app)
    {
        if (_token is null)
        {
            var (created, error) = await new ApiTokenService(new Databases(_dbOptions), TimeProvider.System, new LeaseBoard.Features.LiveUpdates.BoardEvents(Microsoft.Extensions.Logging.Abstractions.NullLogger<LeaseBoard.Features.LiveUpdates.BoardEvents>.Instance), new WriteTurns()).CreateAsync(Owner, "crash test", ApiScope.Book, 1);
            _token = created?.Token ?? throw new InvalidOperationException($"Could not create an API token: {error}");
        }
        return new ApiClient(app, _token);
    }

    /// <summary>
    /// A slot on <see cref="Environment"/> that started up to four minutes ago (inside the past tolerance, so the
    /// lease starts at once) and ends 75–135 s from now.
    /// </summary>
    public static CreateReservationRequest LeaseEndingSoon(string title, string spec)
    {
        var now = DateTime.UtcNow;
        var start = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc).AddMinutes(-3);
        if (start.AddMinutes(5) - now < TimeSpan.FromSeconds(75)) start = start.AddMinutes(1);
        return new CreateReservationRequest
        {
            Environment = Environment, Start = start.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), DurationMinutes = 5,
            Title = title, TestKind = TestKind.Soak, TestSpec = spec,
        };
    }

    public async Task<T> QueryAsync<T>(Func<LeaseBoardDb, Task<T>> query)
    {
        await using var db = new SqliteLeaseBoardDb(_dbOptions);
        return await query(db);
    }

    public Task<List<TestRun>> RunsAsync(int reservationId) =>
        QueryAsync(db => db.TestRuns.AsNoTracking().Where(r => r.ReservationId == reservationId).OrderBy(r => r.Id).ToListAsync());

    public Task<List<AuditEntry>> AuditAsync(int reservationId) =>
        QueryAsync(db => db.AuditEntries.AsNoTracking().Where(a => a.ReservationId == reservationId).OrderBy(a => a.Id).ToListAsync());

    /// <summary>The live processes (zombies aside) running <see cref="TestScript"/>: the Process driver's tests of this app.</summary>
    public IReadOnlyList<int> TestProcesses() => TestProcessTable.Find(TestScript);

    /// <summary><see cref="TestProcesses"/> and <see cref="Starts"/> in words, for failure messages.</summary>
    public string DescribeTestProcesses() =>
        $"test processes alive: {(TestProcesses() is { Count: > 0 } pids ? string.Join(", ", pids) : "none")}; " +
        $"starts (pid, environment, token): {(Starts() is { Count: > 0 } starts ? string.Join(", ", starts) : "none")}";

    /// <summary>Pids the test script wrote at each start, with the fencing token it was started with.</summary>
    public IReadOnlyList<(int Pid, string Environment, long Token)> Starts() =>
        File.Exists(StartsLog)
            ? File.ReadAllLines(StartsLog).Where(l => l.Length > 0).Select(l => l.Split(' ')).Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), p[1], long.Parse(p[2], CultureInfo.InvariantCulture))).ToList()
            : [];

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _instances) await app.DisposeAsync();
        TestProcessTable.KillGroupsOf(Folder); // tests the crashed apps left behind
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private sealed class Databases(DbContextOptions<SqliteLeaseBoardDb> options) : IDbContextFactory<LeaseBoardDb>
    {
        public LeaseBoardDb CreateDbContext() => new SqliteLeaseBoardDb(options);
    }

    /// <summary>The app's REST API with a bearer token; enums as strings, as the app writes them.</summary>
    public sealed class ApiClient(AppProcess app, string token)
    {
        private readonly HttpClient _http = new()
        {
            BaseAddress = app.BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
            DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
        };

        public async Task<ReservationDto> BookAsync(CreateReservationRequest request)
        {
            using var response = await _http.PostAsJsonAsync("/api/v1/reservations", request, Json);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, app.Describe($"POST /api/v1/reservations answered {(int)response.StatusCode}: {body}"));
            return JsonSerializer.Deserialize<ReservationDto>(body, Json)!;
        }

        public async Task<ReservationDto> ReservationAsync(int id)
        {
            using var response = await _http.GetAsync($"/api/v1/reservations/{id}");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, app.Describe($"GET /api/v1/reservations/{id} answered {(int)response.StatusCode}: {body}"));
            return JsonSerializer.Deserialize<ReservationDto>(body, Json)!;
        }

        public async Task<EnvironmentDto> EnvironmentAsync(string key)
        {
            var environments = await _http.GetFromJsonAsync<List<EnvironmentDto>>("/api/v1/environments", Json);
            return environments!.Single(e => e.Key == key);
        }

        /// <summary>What the app's framework driver lists as active runs (needs the test hooks).</summary>
        public async Task<List<ActiveRun>> ActiveRunsAsync() =>
            (await _http.GetFromJsonAsync<List<ActiveRun>>(CrashTestHooks.ActiveRunsPath, Json))!;
    }
}

/// <summary>Reads /proc to find the test processes of one crash test and to kill what a crashed app left behind.</summary>
internal static class TestProcessTable
{
    /// <summary>
    /// Live processes with <paramref name="script"/> as one of their arguments (a shell running it), zombies aside.
    /// A child of such a shell is not another test: between fork and exec (its <c>sleep 1</c>) it briefly shows the
    /// shell's own command line, which a busy machine makes visible.
    /// </summary>
    public static IReadOnlyList<int> Find(string script)
    {
        var running = Processes().Where(p => p.Arguments.Contains(script) && p.State != 'Z').ToList();
        var pids = running.Select(p => p.Pid).ToHashSet();
        return running.Where(p => !pids.Contains(p.Parent)).Select(p => p.Pid).OrderBy(p => p).ToList();
    }

    /// <summary>SIGKILLs every process group that holds a process whose command line mentions <paramref name="marker"/>.</summary>
    public static void KillGroupsOf(string marker)
    {
        var own = getpgid(0);
        foreach (var group in Processes().Where(p => p.Arguments.Any(a => a.Contains(marker, StringComparison.Ordinal))).Select(p => p.Group).Distinct())
            if (group > 1 && group != own) kill(-group, 9);
    }

    private static IEnumerable<(int Pid, char State, int Parent, int Group, string[] Arguments)> Processes()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid)) continue;
            string[] arguments;
            string stat;
            try
            {
                arguments = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // it ended meanwhile
            }
            // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so read after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            yield return (pid, fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture), int.Parse(fields[2], CultureInfo.InvariantCulture), arguments);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [DllImport("libc", SetLastError = true)]
    private static extern int getpgid(int pid);
}
