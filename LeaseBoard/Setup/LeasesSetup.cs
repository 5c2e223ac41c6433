using Hangfire;
using Hangfire.Common;
using Hangfire.InMemory;
using Hangfire.SqlServer;
using LeaseBoard.Data;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Framework;
using LeaseBoard.Features.Leases;
using LeaseBoard.Features.SignIn;

namespace LeaseBoard.Setup;

public static class LeasesSetup
{
    /// <summary>The engine and the framework driver: everything but Hangfire (tests build this part alone).</summary>
    public static IServiceCollection AddLeaseEngine(this IServiceCollection services)
    {
        services.AddValidatedOptions<LeaseOptions>(LeaseOptions.Section);
        services.AddTestFrameworkDrivers();
        services.AddTelemetryInstruments();
        services.AddSingleton<LeaseEngine>();
        services.AddSingleton<EnvironmentCare>();
        services.AddSingleton<ReadinessCheck>();
        services.AddSingleton<LeaseSupervisor>();
        services.AddSingleton<LeaseScheduler>();
        services.AddSingleton<IReservationLifecycle>(sp => sp.GetRequiredService<LeaseScheduler>());
        return services;
    }

    public static WebApplicationBuilder AddLeases(this WebApplicationBuilder builder)
    {
        builder.AddTestFramework();
        builder.Services.AddLeaseEngine();
        var database = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        var leases = builder.Configuration.GetSection(LeaseOptions.Section).Get<LeaseOptions>() ?? new LeaseOptions();

        // The storage is this host's own singleton (not Hangfire's static JobStorage.Current), so two hosts
        // in one process — as in tests — never share or swap storages.
        builder.Services.AddSingleton<JobStorage>(_ => database.Provider == DatabaseProvider.SqlServer
            ? new SqlServerStorage(builder.Configuration.GetConnectionString(DatabaseProviders.ConnectionStringName), new SqlServerStorageOptions
            {
                PrepareSchemaIfNecessary = true,
                QueuePollInterval = TimeSpan.Zero, // sliding invisibility: workers pick up jobs at once
                SlidingInvisibilityTimeout = TimeSpan.FromMinutes(5),
                UseRecommendedIsolationLevel = true,
                DisableGlobalLocks = true,
            })
            // Guid ids: after a restart the new storage must never hand out an id a reservation still remembers.
            : new Hangfire.InMemory.InMemoryStorage(new InMemoryStorageOptions { IdType = InMemoryStorageIdType.Guid }));
        // This host's filters next to Hangfire's (attributes, global filters): config.UseFilter would add to the process-wide
        // GlobalJobFilters. The job server and the clients take their filters from this registration.
        builder.Services.AddSingleton<FailedJobExpiry>();
        builder.Services.AddSingleton<IJobFilterProvider>(services => new JobFilterProviderCollection(
            JobFilterProviders.Providers, new JobFilterCollection { services.GetRequiredService<FailedJobExpiry>() }));
        builder.Services.AddSingleton<RecurringPassLock>();
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
        builder.Services.AddSingleton<ILeaseTriggers, HangfireLeaseTriggers>();
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
}
