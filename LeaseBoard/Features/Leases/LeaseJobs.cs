using Hangfire;

namespace LeaseBoard.Features.Leases;

/// <summary>
/// The Hangfire entry points. Each job only tells the engine to look again; the engine re-reads the
/// database and acts only if the state still calls for it, so running a job twice or late is harmless.
/// The class keeps its name because Hangfire stores it with every job (SQL Server storage outlives a deploy).
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
