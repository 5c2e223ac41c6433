using Hangfire;
using Hangfire.Dashboard;
using Hangfire.InMemory;
using Hangfire.SqlServer;
using LeaseBoard.Data;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Framework;
using LeaseBoard.Features.Leases;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Setup;

public static class LeaseSetup
{
    /// <summary>The engine and the framework driver: everything but Hangfire (tests build this part alone).</summary>
    public static IServiceCollection AddLeaseEngine(this IServiceCollection services)
    {
        services.AddOptions<LeaseOptions>().BindConfiguration(LeaseOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<FrameworkOptions>().BindConfiguration(FrameworkOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SimulatedFrameworkOptions>().BindConfiguration(SimulatedFrameworkOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddOptions<ProcessFrameworkOptions>().BindConfiguration(ProcessFrameworkOptions.Section).ValidateDataAnnotations();
        services.AddSingleton<SimulatedTestFramework>();
        services.AddSingleton<ProcessTestFramework>();
        services.AddSingleton<ITestFramework>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<FrameworkOptions>>().Value;
            ITestFramework driver = options.Driver == FrameworkDriver.Process
                ? sp.GetRequiredService<ProcessTestFramework>()
                : sp.GetRequiredService<SimulatedTestFramework>();
            return new ResilientTestFramework(driver, options, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton<LeaseEngine>();
        services.AddSingleton<EnvironmentCare>();
        services.AddSingleton<LeaseSupervisor>();
        services.AddSingleton<LeaseScheduler>();
        services.AddSingleton<IReservationLifecycle>(sp => sp.GetRequiredService<LeaseScheduler>());
        return services;
    }

    public static WebApplicationBuilder AddLeaseJobs(this WebApplicationBuilder builder)
    {
        builder.Services.AddLeaseEngine();
        var stateFolder = DatabaseSetup.StateFolder(builder.Configuration, builder.Environment.ContentRootPath);
        var contentRoot = builder.Environment.ContentRootPath;
        builder.Services.PostConfigure<SimulatedFrameworkOptions>(o => o.StatePath = string.IsNullOrWhiteSpace(o.StatePath)
            ? Path.Combine(stateFolder, "simulated-framework.db")
            : Path.GetFullPath(o.StatePath, contentRoot));
        builder.Services.PostConfigure<ProcessFrameworkOptions>(o => o.StateDirectory = string.IsNullOrWhiteSpace(o.StateDirectory)
            ? Path.Combine(stateFolder, "process-runs")
            : Path.GetFullPath(o.StateDirectory, contentRoot));
        var database = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        var leases = builder.Configuration.GetSection(LeaseOptions.Section).Get<LeaseOptions>() ?? new LeaseOptions();

        // The storage is this host's own singleton (not Hangfire's static JobStorage.Current), so two hosts
        // in one process — as in tests — never share or swap storages.
        builder.Services.AddSingleton<JobStorage>(_ => database.Provider == DatabaseProvider.SqlServer
            ? new SqlServerStorage(builder.Configuration.GetConnectionString(DatabaseSetup.ConnectionStringName), new SqlServerStorageOptions
            {
                PrepareSchemaIfNecessary = true,
                QueuePollInterval = TimeSpan.Zero, // sliding invisibility: workers pick up jobs at once
                SlidingInvisibilityTimeout = TimeSpan.FromMinutes(5),
                UseRecommendedIsolationLevel = true,
                DisableGlobalLocks = true,
            })
            // Guid ids: after a restart the new storage must never hand out an id a reservation still remembers.
            : new Hangfire.InMemory.InMemoryStorage(new InMemoryStorageOptions { IdType = InMemoryStorageIdType.Guid }));
        builder.Services.AddHangfire((services, config) => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(new HostBoundLogProvider(services.GetRequiredService<ILoggerFactory>()))
            .UseStorage(services.GetRequiredService<JobStorage>()));
        if (leases.RunJobServer)
        {
            // Before the job server starts: the drivers know their runs on one host only (see the check).
            builder.Services.AddHostedService<FrameworkHostCheck>();
            builder.Services.AddHangfireServer((services, o) =>
            {
                // This host's own activator: Hangfire's static one belongs to whichever host configured it last.
                o.Activator = new Hangfire.AspNetCore.AspNetCoreJobActivator(services.GetRequiredService<IServiceScopeFactory>());
                o.SchedulePollingInterval = leases.SchedulePollingInterval;
                o.WorkerCount = Math.Max(4, Environment.ProcessorCount * 2);
                o.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
            });
        }
        builder.Services.AddSingleton<ILeaseJobs, HangfireLeaseJobs>();
        builder.Services.AddHostedService<LeaseStartup>();
        builder.Services.AddHealthChecks().AddCheck<HangfireHealthCheck>("hangfire", tags: ["ready"]);
        return builder;
    }

    public static WebApplication MapLeaseJobsDashboard(this WebApplication app)
    {
        app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [new AdminDashboardFilter()],
            DashboardTitle = "LeaseBoard jobs",
            AppPath = "/admin",
        }).RequireAuthorization(Roles.AdminPolicy);
        return app;
    }

    /// <summary>Defence in depth behind the endpoint's admin policy: Hangfire asks too.</summary>
    private sealed class AdminDashboardFilter : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) => context.GetHttpContext().User.IsInRole(Roles.Admin);
    }
}

/// <summary>Registers the recurring supervise job and runs the start-up reconcile, off the start-up path.</summary>
public sealed partial class LeaseStartup(IRecurringJobManager recurring, IBackgroundJobClient client, IOptions<LeaseOptions> options,
    ILogger<LeaseStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Every 30 s: Hangfire's cron takes a seconds field, and the recurring scheduler runs it on time.
        recurring.AddOrUpdate<LeaseJobs>(LeaseJobs.SuperviseJobId, j => j.SuperviseAsync(CancellationToken.None), options.Value.SuperviseCron);
        // Every 5 s: running tests' progress reaches the wall and the API between supervise passes.
        recurring.AddOrUpdate<LeaseJobs>(LeaseJobs.PollRunsJobId, j => j.PollRunsAsync(CancellationToken.None), options.Value.RunPollCron);
        client.Enqueue<LeaseJobs>(j => j.ReconcileAsync(CancellationToken.None));
        LogScheduled(options.Value.SuperviseCron);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Supervise scheduled ({Cron}); start-up reconcile queued")]
    private partial void LogScheduled(string cron);
}

/// <summary>Ready only when a Hangfire server is alive to run the lease jobs (or none is meant to run here).</summary>
public sealed class HangfireHealthCheck(JobStorage storage, IOptions<LeaseOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!options.Value.RunJobServer)
            return Task.FromResult(HealthCheckResult.Healthy("This instance runs no job server."));
        var servers = storage.GetMonitoringApi().Servers();
        return Task.FromResult(servers.Count > 0
            ? HealthCheckResult.Healthy($"{servers.Count} Hangfire server(s) alive.")
            : HealthCheckResult.Unhealthy("No Hangfire server is running: leases will not start."));
    }
}

/// <summary>
/// Hangfire's log provider is process-wide; bound to one host's logger factory it throws once that host
/// is disposed while another still runs (tests start several hosts). Logs after disposal are dropped.
/// </summary>
internal sealed class HostBoundLogProvider(ILoggerFactory loggerFactory) : Hangfire.Logging.ILogProvider
{
    private readonly Hangfire.AspNetCore.AspNetCoreLogProvider _inner = new(loggerFactory);

    public Hangfire.Logging.ILog GetLogger(string name) => new SafeLog(() => _inner.GetLogger(name));

    private sealed class SafeLog(Func<Hangfire.Logging.ILog> create) : Hangfire.Logging.ILog
    {
        private Hangfire.Logging.ILog? _log;

        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            try
            {
                return (_log ??= create()).Log(logLevel, messageFunc, exception);
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }
}
