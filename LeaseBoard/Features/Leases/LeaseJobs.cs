using Hangfire;

namespace LeaseBoard.Features.Leases;

/// <summary>
/// The Hangfire entry points. Each job only tells the engine to look again; the engine re-reads the
/// database and acts only if the state still calls for it, so running a job twice or late is harmless.
/// Hangfire's own retries are off: the engine has its own retry rules, and supervise is the backstop.
/// </summary>
[AutomaticRetry(Attempts = 0)]
public sealed class LeaseJobs(LeaseEngine engine, EnvironmentCare care, LeaseSupervisor supervisor)
{
    public const string SuperviseJobId = "supervise";
    public const string PollRunsJobId = "poll-runs";

    [JobDisplayName("Start lease of reservation {0}")]
    public Task StartLeaseAsync(int reservationId, CancellationToken ct) => engine.StartLeaseAsync(reservationId, ct);

    [JobDisplayName("Deadline of reservation {0}")]
    public Task EnforceDeadlineAsync(int reservationId, CancellationToken ct) => engine.EnforceDeadlineAsync(reservationId, ct);

    [JobDisplayName("Check run of reservation {0}")]
    public Task CheckRunAsync(int reservationId, CancellationToken ct) => engine.CheckRunAsync(reservationId, ct);

    [JobDisplayName("Clean up environment {0}")]
    public Task CleanupAsync(int environmentId, CancellationToken ct) => care.CleanupAsync(environmentId, ct);

    [JobDisplayName("Supervise leases and environments")]
    [DisableConcurrentExecution(timeoutInSeconds: 5)]
    public Task SuperviseAsync(CancellationToken ct) => supervisor.SuperviseAsync(ct);

    [JobDisplayName("Poll running tests")]
    [DisableConcurrentExecution(timeoutInSeconds: 2)]
    public Task PollRunsAsync(CancellationToken ct) => supervisor.PollRunsAsync(ct);

    [JobDisplayName("Reconcile after start-up")]
    public Task ReconcileAsync(CancellationToken ct) => supervisor.ReconcileAsync(ct);
}

/// <summary><see cref="ILeaseJobs"/> on Hangfire: delayed jobs at a slot's start and end, queued jobs for cleanup.</summary>
public sealed class HangfireLeaseJobs(IBackgroundJobClient client, JobStorage storage) : ILeaseJobs
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
