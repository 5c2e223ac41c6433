using Hangfire;

namespace LeaseBoard.Features.Leases;

/// <summary>
/// The Hangfire entry points. Each job only tells the engine to look again; the engine re-reads the
/// database and acts only if the state still calls for it, so running a job twice or late is harmless.
/// The class keeps its name because Hangfire stores it with every job (SQL Server storage outlives a deploy).
/// Hangfire's own retries are off: the engine has its own retry rules, and supervise is the backstop. A job that
/// fails anyway ends Deleted with its exception and expires after the retention (see <see cref="FailedJobExpiry"/>).
/// The recurring passes never overlap themselves and skip a beat instead of failing (see <see cref="RecurringPassLock"/>).
/// </summary>
[AutomaticRetry(Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Delete)]
public sealed class LeaseJobs(LeaseEngine engine, EnvironmentCare care, ReadinessCheck readiness, LeaseSupervisor supervisor, RecurringPassLock passes)
{
    public const string SuperviseJobId = "supervise";
    public const string PollRunsJobId = "poll-runs";

    /// <summary>The pass locks: the resources <see cref="DisableConcurrentExecutionAttribute"/> locked before, so old and new instances still exclude each other during a rolling deploy.</summary>
    public const string SupervisePassLock = "LeaseJobs.SuperviseAsync";
    public const string PollRunsPassLock = "LeaseJobs.PollRunsAsync";

    [JobDisplayName("Start lease of reservation {0}")]
    public Task StartLeaseAsync(int reservationId, CancellationToken ct) => engine.StartLeaseAsync(reservationId, ct);

    [JobDisplayName("Deadline of reservation {0}")]
    public Task EnforceDeadlineAsync(int reservationId, CancellationToken ct) => engine.EnforceDeadlineAsync(reservationId, ct);

    [JobDisplayName("Check run of reservation {0}")]
    public Task CheckRunAsync(int reservationId, CancellationToken ct) => engine.CheckRunAsync(reservationId, ct);

    [JobDisplayName("Readiness check of reservation {0}")]
    public Task CheckReadinessAsync(int reservationId, DateTime startUtc, CancellationToken ct) => readiness.CheckAsync(reservationId, startUtc, ct);

    [JobDisplayName("Clean up environment {0}")]
    public Task CleanupAsync(int environmentId, CancellationToken ct) => care.CleanupAsync(environmentId, ct);

    [JobDisplayName("Supervise leases and environments")]
    public Task SuperviseAsync(CancellationToken ct) => passes.RunAsync(SupervisePassLock, () => supervisor.SuperviseAsync(ct));

    [JobDisplayName("Poll running tests")]
    public Task PollRunsAsync(CancellationToken ct) => passes.RunAsync(PollRunsPassLock, () => supervisor.PollRunsAsync(ct));

    [JobDisplayName("Reconcile after start-up")]
    public Task ReconcileAsync(CancellationToken ct) => supervisor.ReconcileAsync(ct);
}
