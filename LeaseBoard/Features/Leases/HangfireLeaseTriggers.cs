using Hangfire;

namespace LeaseBoard.Features.Leases;

/// <summary><see cref="ILeaseTriggers"/> on Hangfire: delayed jobs at a slot's start and end, queued jobs for cleanup.</summary>
public sealed class HangfireLeaseTriggers(IBackgroundJobClient client, JobStorage storage) : ILeaseTriggers
{
    public string ScheduleStart(int reservationId, DateTime atUtc) =>
        client.Schedule<LeaseJobs>(j => j.StartLeaseAsync(reservationId, CancellationToken.None), new DateTimeOffset(atUtc, TimeSpan.Zero));

    public string ScheduleDeadline(int reservationId, DateTime atUtc) =>
        client.Schedule<LeaseJobs>(j => j.EnforceDeadlineAsync(reservationId, CancellationToken.None), new DateTimeOffset(atUtc, TimeSpan.Zero));

    public string ScheduleRunCheck(int reservationId, DateTime atUtc) =>
        client.Schedule<LeaseJobs>(j => j.CheckRunAsync(reservationId, CancellationToken.None), new DateTimeOffset(atUtc, TimeSpan.Zero));

    public string EnqueueCleanup(int environmentId) =>
        client.Enqueue<LeaseJobs>(j => j.CleanupAsync(environmentId, CancellationToken.None));

    public void Delete(string jobId) => client.Delete(jobId);

    public bool IsPending(string jobId)
    {
        using var connection = storage.GetConnection();
        var state = connection.GetStateData(jobId)?.Name;
        return state == Hangfire.States.ScheduledState.StateName || state == Hangfire.States.EnqueuedState.StateName
               || state == Hangfire.States.ProcessingState.StateName;
    }
}
