using Hangfire;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Leases;

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
