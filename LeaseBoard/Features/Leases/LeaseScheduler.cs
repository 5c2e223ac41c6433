using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Leases;

/// <summary>
/// Keeps each reservation's delayed jobs in step with its slot: booked → start and deadline jobs;
/// moved → replaced; cancelled → deleted; released → its run is looked at now. A scheduled reservation also has its
/// readiness check (see <see cref="ReadinessCheck"/>), whose id the triggers keep.
/// </summary>
public sealed class LeaseScheduler(IDbContextFactory<LeaseBoardDb> dbs, ILeaseTriggers jobs, TimeProvider clock, WriteTurns turns,
    IOptionsMonitor<LeaseOptions> options) : IReservationLifecycle
{

    public async Task ReservationChangedAsync(Reservation reservation, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var current = await db.Reservations.AsNoTracking().Where(r => r.Id == reservation.Id)
            .Select(r => new { r.State, r.StartUtc, r.EndUtc, r.StartJobId, r.DeadlineJobId }).FirstOrDefaultAsync(ct);
        if (current is null) return;

        if (current.State == ReservationState.Scheduled
            && LeaseRules.ReadinessDue(clock.GetUtcNow().UtcDateTime, current.StartUtc, options.CurrentValue.ReadinessLead) is { } readinessAt)
            jobs.ScheduleReadiness(reservation.Id, current.StartUtc, readinessAt);
        else
            jobs.DeleteReadiness(reservation.Id);

        string? startJob = current.StartJobId, deadlineJob = current.DeadlineJobId;
        switch (current.State)
        {
            case ReservationState.Scheduled:
                Replace(ref startJob, () => jobs.ScheduleStart(reservation.Id, current.StartUtc));
                Replace(ref deadlineJob, () => jobs.ScheduleDeadline(reservation.Id, current.EndUtc));
                break;
            case ReservationState.Active:
                Replace(ref deadlineJob, () => jobs.ScheduleDeadline(reservation.Id, current.EndUtc));
                break;
            case ReservationState.Releasing:
                jobs.ScheduleRunCheck(reservation.Id, clock.GetUtcNow().UtcDateTime);
                break;
            default:
                Delete(ref startJob);
                Delete(ref deadlineJob);
                break;
        }

        if (startJob == current.StartJobId && deadlineJob == current.DeadlineJobId) return;
        // A write after every booking: in the bookings' queue for SQLite's writer, not in Microsoft.Data.Sqlite's busy
        // sleep, which a booking meeting this statement at the lock would pay too.
        using (await turns.TakeAsync(db, ct))
            await db.Reservations.Where(r => r.Id == reservation.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.StartJobId, startJob).SetProperty(r => r.DeadlineJobId, deadlineJob), ct);
    }

    private void Replace(ref string? jobId, Func<string> schedule)
    {
        Delete(ref jobId);
        jobId = schedule();
    }

    private void Delete(ref string? jobId)
    {
        if (jobId is not null) jobs.Delete(jobId);
        jobId = null;
    }
}
