using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Framework;
using LeaseBoard.Features.Leases;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Setup;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>
/// The lease engine wired as in the app — booking service, engine, care, supervisor, simulated
/// framework behind the resilience wrapper — on a real SQLite file, with a fake clock and recorded
/// jobs in place of Hangfire. <see cref="AdvanceAsync"/> moves time the way production would see it:
/// due jobs run, and the supervise pass runs on its 30-second beat.
/// </summary>
public sealed class LeaseHarness : IAsyncDisposable
{
    public static readonly TimeSpan SupervisePeriod = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, string?> _settings;
    private ServiceProvider _services;
    private DateTime _nextSupervise;

    private readonly DirectoryInfo _frameworkFolder;

    private LeaseHarness(TestDatabase database, FakeTimeProvider clock, DirectoryInfo frameworkFolder, Dictionary<string, string?> settings)
    {
        Database = database;
        Clock = clock;
        _frameworkFolder = frameworkFolder;
        _settings = settings;
        Framework = NewFramework();
        _services = Build(out var jobs);
        Jobs = jobs;
        _nextSupervise = Now;
    }

    public TestDatabase Database { get; }
    public FakeTimeProvider Clock { get; }
    /// <summary>
    /// The simulated framework as this "app" sees it. A restart makes a new one, as a new process would:
    /// only the framework's own store (a file) carries its runs across.
    /// </summary>
    public SimulatedTestFramework Framework { get; private set; }
    public ManualLeaseTriggers Jobs { get; private set; }
    public List<TestEnvironment> Environments { get; private set; } = [];
    public BoardEvents Events => _services.GetRequiredService<BoardEvents>();
    public BookingService Booking => _services.GetRequiredService<BookingService>();
    public LeaseEngine Engine => _services.GetRequiredService<LeaseEngine>();
    public EnvironmentCare Care => _services.GetRequiredService<EnvironmentCare>();
    public ReadinessCheck Readiness => _services.GetRequiredService<ReadinessCheck>();
    public LeaseSupervisor Supervisor => _services.GetRequiredService<LeaseSupervisor>();
    public WriteTurns Turns => _services.GetRequiredService<WriteTurns>();
    /// <summary>The instruments this "app" records into (its own meter; a restart makes a new one).</summary>
    public LeaseBoard.Features.Telemetry.LeaseBoardTelemetry Telemetry => _services.GetRequiredService<LeaseBoard.Features.Telemetry.LeaseBoardTelemetry>();
    public LeaseBoard.Features.Admin.AdminService Admin => _services.GetRequiredService<LeaseBoard.Features.Admin.AdminService>();
    public LeaseBoard.Features.Notifications.NotificationService Notifications => _services.GetRequiredService<LeaseBoard.Features.Notifications.NotificationService>();
    public LeaseBoard.Features.Notifications.NotificationWatcher NotificationWatcher => _services.GetRequiredService<LeaseBoard.Features.Notifications.NotificationWatcher>();
    public LeaseBoard.Features.Queue.QueueService Queue => _services.GetRequiredService<LeaseBoard.Features.Queue.QueueService>();
    public LeaseBoard.Features.Queue.QueuePlacer Placer => _services.GetRequiredService<LeaseBoard.Features.Queue.QueuePlacer>();
    public DateTime Now => Clock.GetUtcNow().UtcDateTime;

    /// <summary>Settings under <c>LeaseBoard:</c>, e.g. <c>["Leases:HangTimeout"] = "00:15:00"</c>.</summary>
    public static async Task<LeaseHarness> CreateAsync(Dictionary<string, string?>? settings = null, int environments = 5)
    {
        var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite, environments);
        var clock = new FakeTimeProvider(BookingHarness.DefaultNow);
        var all = new Dictionary<string, string?>
        {
            ["LeaseBoard:Framework:CommandTimeout"] = "00:00:05",
            ["LeaseBoard:Framework:ReadTimeout"] = "00:00:03",
            ["LeaseBoard:Framework:ReadRetries"] = "1",
            ["LeaseBoard:Framework:Simulated:BaseHealthLatencyMs"] = "0",
            ["LeaseBoard:Leases:HealthCheckInterval"] = "00:05:00",
            // Lease tests fill the pool as one person; the share of the pool one person may hold is FairUseTests' business.
            ["LeaseBoard:Booking:MaxConcurrentPerUser"] = "5",
        };
        foreach (var (key, value) in settings ?? []) all["LeaseBoard:" + key] = value;
        var folder = Directory.CreateTempSubdirectory("leaseboard-framework-");
        all[SimulatedFrameworkOptions.Section + ":StatePath"] = Path.Combine(folder.FullName, "simulated-framework.db");
        var harness = new LeaseHarness(database, clock, folder, all);
        harness.Environments = await database.EnvironmentsAsync();
        return harness;
    }

    private SimulatedTestFramework NewFramework()
    {
        var options = new ConfigurationBuilder().AddInMemoryCollection(_settings).Build()
            .GetSection(SimulatedFrameworkOptions.Section).Get<SimulatedFrameworkOptions>() ?? new();
        return new SimulatedTestFramework(Options.Create(options), Clock);
    }

    private ServiceProvider Build(out ManualLeaseTriggers jobs)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(_settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddSingleton<TimeProvider>(Clock);
        services.AddSingleton<IDbContextFactory<LeaseBoardDb>>(Database);
        services.AddOptions<BookingOptions>().BindConfiguration(BookingOptions.Section);
        services.AddBookingServices();
        services.AddSingleton<BoardEvents>();
        services.AddSingleton<WriteTurns>();
        services.AddLeaseEngine();
        services.AddSingleton(Framework);
        jobs = new ManualLeaseTriggers(Clock);
        services.AddSingleton<ILeaseTriggers>(jobs);
        services.AddSingleton<LeaseJobs>();
        // The recurring passes' lock lives in the job storage; the harness has no job server, only a storage for the lock.
        services.AddSingleton<Hangfire.JobStorage>(new Hangfire.InMemory.InMemoryStorage());
        services.AddSingleton<RecurringPassLock>();
        services.AddNotificationServices();
        services.AddAdminServices();
        services.AddQueueServices();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    /// <summary>
    /// Stops the "app" and starts a new one on the same database and framework store, with a new framework
    /// object: nothing of the old app's memory survives. The recorded jobs are lost, as with Hangfire's
    /// in-memory storage; the new app runs its start-up reconcile.
    /// </summary>
    public async Task<SupervisePassResult> RestartAsync()
    {
        await _services.DisposeAsync();
        Framework = NewFramework();
        _services = Build(out var jobs);
        Jobs = jobs;
        _nextSupervise = Now + SupervisePeriod;
        return await DriveAsync(() => Supervisor.ReconcileAsync(CancellationToken.None));
    }

    public TestEnvironment Env(int number) => Environments[number - 1];

    public DateTime At(int hour, int minute = 0, int daysAhead = 0) =>
        DateTime.SpecifyKind(Now.Date.AddDays(daysAhead).AddHours(hour).AddMinutes(minute), DateTimeKind.Utc);

    public async Task<Reservation> BookAsync(int environment, DateTime startUtc, TimeSpan duration, string spec = "", Actor? actor = null)
    {
        var result = await Booking.BookAsync(new BookingRequest(Env(environment).Id, startUtc, duration, $"Test on env-{environment}", TestKind.Load, spec),
            actor ?? TestActors.Ana);
        Assert.True(result.Succeeded, result.Message);
        await SettledAsync();
        return result.Reservation!;
    }

    /// <summary>
    /// Moves the fake clock forward from event to event — the next due job or the next 30-second
    /// supervise pass — running each as production would, until <paramref name="by"/> has passed.
    /// </summary>
    public async Task AdvanceAsync(TimeSpan by, bool supervise = true)
    {
        var until = Now + by;
        await RunDueAsync(supervise);
        while (Now < until)
        {
            Clock.Advance(NextEvent(until, supervise) - Now);
            await RunDueAsync(supervise);
        }
    }

    /// <summary>Advances event by event until <paramref name="condition"/> holds, failing after <paramref name="within"/> of simulated time.</summary>
    public async Task AdvanceUntilAsync(Func<Task<bool>> condition, TimeSpan within, string what, bool supervise = true)
    {
        var deadline = Now + within;
        await RunDueAsync(supervise);
        while (!await condition())
        {
            Assert.True(Now < deadline, $"Not within {within} of simulated time: {what}");
            Clock.Advance(NextEvent(deadline, supervise) - Now);
            await RunDueAsync(supervise);
        }
    }

    private DateTime NextEvent(DateTime limit, bool supervise)
    {
        var next = limit;
        if (supervise && _nextSupervise < next) next = _nextSupervise;
        foreach (var job in Jobs.All.Where(j => !j.Deleted && !j.Ran))
            if (job.DueUtc < next) next = job.DueUtc;
        return next > Now ? next : Now + TimeSpan.FromSeconds(1);
    }

    /// <summary>Waits for the booking service's follow-ups (the jobs of the changes made so far, and their events).</summary>
    public Task SettledAsync() => _services.GetRequiredService<ReservationFollowUps>().DrainedAsync().WaitAsync(TimeSpan.FromSeconds(30));

    public async Task RunDueAsync(bool supervise = true)
    {
        for (var round = 0; round < 20; round++)
        {
            await SettledAsync();
            var due = Jobs.TakeDue();
            var superviseNow = supervise && Now >= _nextSupervise;
            if (due.Count == 0 && !superviseNow) return;
            var jobs = _services.GetRequiredService<LeaseJobs>();
            foreach (var job in due)
            {
                await DriveAsync(() => job.Kind switch
                {
                    "start" => jobs.StartLeaseAsync(job.Argument, CancellationToken.None),
                    "deadline" => jobs.EnforceDeadlineAsync(job.Argument, CancellationToken.None),
                    "check" => jobs.CheckRunAsync(job.Argument, CancellationToken.None),
                    "cleanup" => jobs.CleanupAsync(job.Argument, CancellationToken.None),
                    "readiness" => jobs.CheckReadinessAsync(job.Argument, job.ForStartUtc!.Value, CancellationToken.None),
                    _ => throw new InvalidOperationException(job.Kind),
                });
            }
            if (superviseNow)
            {
                _nextSupervise = Now + SupervisePeriod;
                await DriveAsync(() => Supervisor.SuperviseAsync(CancellationToken.None));
            }
        }
    }

    /// <summary>
    /// Runs work that may wait on the fake clock (a framework call that only a timeout ends): while it
    /// is blocked, time moves on in 100 ms steps, up to five minutes of simulated time.
    /// </summary>
    public async Task<T> DriveAsync<T>(Func<Task<T>> work)
    {
        var task = work();
        for (var i = 0; i < 3000 && !task.IsCompleted; i++)
        {
            if (await Task.WhenAny(task, Task.Delay(25)) == task) break;
            Clock.Advance(TimeSpan.FromMilliseconds(100));
        }
        return await task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public Task DriveAsync(Func<Task> work) => DriveAsync(async () => { await work(); return true; });

    public async Task<Reservation> ReservationAsync(int id)
    {
        await using var db = Database.CreateDbContext();
        return await db.Reservations.AsNoTracking().Include(r => r.Runs).Include(r => r.Environment).FirstAsync(r => r.Id == id);
    }

    public async Task<TestEnvironment> EnvironmentAsync(int number)
    {
        await using var db = Database.CreateDbContext();
        return await db.Environments.AsNoTracking().FirstAsync(e => e.Id == Env(number).Id);
    }

    public async Task<List<AuditEntry>> AuditAsync(int? reservationId = null)
    {
        await using var db = Database.CreateDbContext();
        return await db.AuditEntries.AsNoTracking().Where(a => reservationId == null || a.ReservationId == reservationId).OrderBy(a => a.Id).ToListAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Database.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { _frameworkFolder.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
