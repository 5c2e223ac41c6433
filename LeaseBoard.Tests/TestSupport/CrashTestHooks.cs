using System.Diagnostics;
using System.Text.Json;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Framework;
using LeaseBoard.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

[assembly: HostingStartup(typeof(CrashTestHooks))]

namespace LeaseBoard.Tests.TestSupport;

/// <summary>
/// Test-only hooks loaded into a child app (<see cref="AppProcess"/> with test hooks) through
/// <c>ASPNETCORE_HOSTINGSTARTUPASSEMBLIES=LeaseBoard.Tests</c>; the app's code knows nothing of them.
/// <list type="bullet">
/// <item><see cref="ActiveRunsPath"/> answers what the app's framework driver lists as active runs.</item>
/// <item>With <see cref="KillBeforeRunIdSavedVariable"/> set to a file path, the app SIGKILLs itself at the first
/// save that would record a framework run id — that is, right after the framework's start returned and before
/// the engine saved the id. It writes what it was about to save to that file first.</item>
/// </list>
/// </summary>
/// <remarks>
/// Why a save interceptor and not a decorator around <see cref="ITestFramework"/>: WebApplication.CreateBuilder runs
/// a hosting startup's ConfigureServices inside CreateBuilder, before Program.cs registers anything, so a decorator
/// registered here is overridden by the app's own ITestFramework registration; and the bootstrap builder refuses
/// ConfigureContainer / UseServiceProviderFactory, the only hooks that would run later. EF Core's ConfigureDbContext
/// is applied whenever it was registered, so the interceptor lands, at the same point of the start.
/// </remarks>
public sealed class CrashTestHooks : IHostingStartup
{
    public const string KillBeforeRunIdSavedVariable = "LEASEBOARD_CRASHTEST_KILL_BEFORE_RUN_ID_SAVED";
    public const string ActiveRunsPath = "/_crash-test/framework/active-runs";

    public void Configure(IWebHostBuilder builder)
    {
        var killRecord = Environment.GetEnvironmentVariable(KillBeforeRunIdSavedVariable);
        Console.WriteLine($"crash-test hooks loaded; kill before the run id is saved: {(string.IsNullOrEmpty(killRecord) ? "off" : "on, record " + killRecord)}");
        builder.ConfigureServices(services =>
        {
            services.AddSingleton<IStartupFilter, ActiveRunsEndpoint>();
            if (!string.IsNullOrEmpty(killRecord))
                services.ConfigureDbContext<SqliteLeaseBoardDb>(o => o.AddInterceptors(new KillBeforeRunIdSaved(killRecord)));
        });
    }

    /// <summary>What the child wrote before it killed itself.</summary>
    public sealed record KillRecord(int TestRunId, int ReservationId, long FencingToken, string FrameworkRunId, int ProcessId);

    private sealed class KillBeforeRunIdSaved(string recordPath) : SaveChangesInterceptor
    {
        public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
        {
            KillIfRecordingARunId(eventData.Context);
            return result;
        }

        public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
            CancellationToken cancellationToken = default)
        {
            KillIfRecordingARunId(eventData.Context);
            return ValueTask.FromResult(result);
        }

        private void KillIfRecordingARunId(DbContext? context)
        {
            if (context is null) return;
            var recording = context.ChangeTracker.Entries<TestRun>().FirstOrDefault(e =>
                e.State == EntityState.Modified && e.OriginalValues[nameof(TestRun.FrameworkRunId)] is null && e.Entity.FrameworkRunId is not null);
            if (recording is null) return;
            var run = recording.Entity;
            File.WriteAllText(recordPath, JsonSerializer.Serialize(
                new KillRecord(run.Id, run.ReservationId, run.FencingToken, run.FrameworkRunId!, Environment.ProcessId)));
            Console.WriteLine($"crash-test hook: SIGKILL before saving framework run id {run.FrameworkRunId} of test run {run.Id}");
            Process.GetCurrentProcess().Kill();
        }
    }

    private sealed class ActiveRunsEndpoint : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                if (context.Request.Path != ActiveRunsPath)
                {
                    await nextMiddleware(context);
                    return;
                }
                var framework = context.RequestServices.GetRequiredService<ITestFramework>();
                var runs = await framework.ListActiveRunsAsync(context.RequestAborted);
                await context.Response.WriteAsJsonAsync(runs, context.RequestAborted);
            });
            next(app);
        };
    }
}
