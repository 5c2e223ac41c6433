using LeaseBoard.Data;
using LeaseBoard.Setup;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>
/// The whole app in the test process, on its own SQLite file in a temp folder, in Development unless
/// told otherwise, with the real clock unless given <see cref="Clock"/>. <see cref="StartOnLoopbackPort"/> puts it on a real Kestrel
/// socket for browser tests; otherwise it runs on the in-memory test server.
/// </summary>
/// <remarks>
/// Settings go through <c>UseSetting</c> inside <see cref="ConfigureWebHost"/> so Program.cs sees them
/// before <c>Build()</c>. Never combine <c>WithWebHostBuilder</c> with <c>UseKestrel(0)</c> (it binds
/// localhost:5000); make another instance with other settings instead. The app may keep process-wide
/// static state (Hangfire will), so tests that need a running host share one through
/// <see cref="SharedAppFixture"/> rather than starting one each.
/// </remarks>
public class LeaseBoardAppFactory : WebApplicationFactory<Program>
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "leaseboard-tests", "app-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, string?> _settings = new(StringComparer.OrdinalIgnoreCase);

    public LeaseBoardAppFactory(string environment = "Development", IReadOnlyDictionary<string, string?>? settings = null)
    {
        EnvironmentName = environment;
        _settings[$"ConnectionStrings:{DatabaseProviders.ConnectionStringName}"] = $"Data Source={Path.Combine(_folder, "leaseboard.db")}";
        // Hangfire's server keeps process-wide state: only the shared host runs one (SharedAppFixture turns it on).
        _settings["LeaseBoard:Leases:RunJobServer"] = "false";
        // The Development demo reservations would collide with the tests' own bookings.
        _settings["LeaseBoard:DemoData:Enabled"] = "false";
        // A brief warm-up: the product's (60 rounds, then waiting for the JIT) would cost every test host seconds.
        _settings["LeaseBoard:Api:WarmUpRounds"] = "3";
        _settings["LeaseBoard:Api:WarmUpJitSettle"] = "00:00:00";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            _settings[key] = value;
    }

    public string EnvironmentName { get; }

    /// <summary>Extra registrations after the app's own (e.g. offline sign-in metadata).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>A clock for the app (e.g. a FakeTimeProvider); null keeps the real one.</summary>
    public TimeProvider? Clock { get; init; }

    /// <summary>The base address of the app: <c>http://localhost</c> in memory, <c>http://127.0.0.1:port</c> on Kestrel.</summary>
    public Uri BaseAddress => ClientOptions.BaseAddress;

    /// <summary>Starts the app on a free port of 127.0.0.1 (real sockets, for a browser) and returns its address.</summary>
    public Uri StartOnLoopbackPort()
    {
        UseKestrel(0);
        StartServer();
        return BaseAddress;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(EnvironmentName);
        foreach (var (key, value) in _settings)
            builder.UseSetting(key, value);
        // Static web assets (blazor.web.js, MudBlazor's css/js) come from the build output's manifest,
        // which the host only reads by itself in Development.
        builder.UseStaticWebAssets();
        if (ConfigureServices is { } configure)
            builder.ConfigureServices(configure);
        if (Clock is { } clock)
            builder.ConfigureServices(services => services.AddSingleton(clock)); // registered after the app's: this one wins
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
