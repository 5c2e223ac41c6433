namespace LeaseBoard.Features.Leases;

/// <summary>
/// The triggers of the lease engine. In the app they are Hangfire jobs (<see cref="HangfireLeaseTriggers"/>);
/// tests record them and run them when a fake clock says they are due. Every trigger only makes the
/// engine look again: the database decides what happens.
/// </summary>
public interface ILeaseTriggers
{
    string ScheduleStart(int reservationId, DateTime atUtc);
    string ScheduleDeadline(int reservationId, DateTime atUtc);
    /// <summary>Look at a reservation's open run at <paramref name="atUtc"/>: a start retry, a stop's grace period, a release.</summary>
    string ScheduleRunCheck(int reservationId, DateTime atUtc);
    string EnqueueCleanup(int environmentId);
    /// <summary>
    /// The reservation's readiness check at <paramref name="atUtc"/>, for the start it was scheduled for; replaces the
    /// reservation's earlier one. The trigger keeps the job's id itself (the reservation has no column for it).
    /// </summary>
    string ScheduleReadiness(int reservationId, DateTime startUtc, DateTime atUtc);
    /// <summary>Deletes the reservation's readiness check, if it has one.</summary>
    void DeleteReadiness(int reservationId);
    /// <summary>Whether the job storage still holds the reservation's readiness check, waiting or run (after a restart, in-memory storage holds none).</summary>
    bool HasReadiness(int reservationId);
    void Delete(string jobId);
    /// <summary>Whether a job is still waiting to run (after a restart, in-memory storage has lost them all).</summary>
    bool IsPending(string jobId);
}
