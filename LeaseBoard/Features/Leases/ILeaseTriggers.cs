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
    void Delete(string jobId);
    /// <summary>Whether a job is still waiting to run (after a restart, in-memory storage has lost them all).</summary>
    bool IsPending(string jobId);
}
