using Hangfire;
using Hangfire.Storage;

namespace LeaseBoard.Features.Leases;

/// <summary><see cref="ILeaseTriggers"/> on Hangfire: delayed jobs at a slot's start and end, queued jobs for cleanup.</summary>
public sealed class HangfireLeaseTriggers(IBackgroundJobClient client, JobStorage storage, TimeProvider clock) : ILeaseTriggers
{
    /// <summary>How long after its due time a readiness job's id is kept next to it in the job storage.</summary>
    private static readonly TimeSpan ReadinessIdKept = TimeSpan.FromDays(1);

    public string ScheduleStart(int reservationId, DateTime atUtc) =>
        client.Schedule<LeaseJobs>(j => j.StartLeaseAsync(reservationId, CancellationToken.None), new DateTimeOffset(atUtc, TimeSpan.Zero));

    public string ScheduleDeadline(int reservationId, DateTime atUtc) =>
        client.Schedule<LeaseJobs>(j => j.EnforceDeadlineAsync(reservationId, CancellationToken.None), new DateTimeOffset(atUtc, TimeSpan.Zero));

    public string ScheduleRunCheck(int reservationId, DateTime atUtc) =>
        client.Schedule<LeaseJobs>(j => j.CheckRunAsync(reservationId, CancellationToken.None), new DateTimeOffset(atUtc, TimeSpan.Zero));

    public string EnqueueCleanup(int environmentId) =>
        client.Enqueue<LeaseJobs>(j => j.CleanupAsync(environmentId, CancellationToken.None));

    /// <summary>
    /// The readiness job's id lives in a hash next to the jobs (so it is lost exactly when they are: in-memory storage
    /// after a restart), expiring a day after the job is due. The job carries the start it checks for, so one that
    /// escapes the replacement (two instances scheduling at once) finds the reservation moved and does nothing.
    /// </summary>
    public string ScheduleReadiness(int reservationId, DateTime startUtc, DateTime atUtc)
    {
        using var connection = storage.GetConnection();
        var previous = ReadinessJobOf(connection, reservationId);
        var id = client.Schedule<LeaseJobs>(j => j.CheckReadinessAsync(reservationId, startUtc, CancellationToken.None), new DateTimeOffset(atUtc, TimeSpan.Zero));
        using (var transaction = connection.CreateWriteTransaction())
        {
            transaction.SetRangeInHash(ReadinessKey(reservationId), [new KeyValuePair<string, string>("job", id)]);
            if (transaction is JobStorageTransaction expiring)
                expiring.ExpireHash(ReadinessKey(reservationId), atUtc - clock.GetUtcNow().UtcDateTime + ReadinessIdKept);
            transaction.Commit();
        }
        if (previous is not null && previous != id) client.Delete(previous);
        return id;
    }

    public void DeleteReadiness(int reservationId)
    {
        using var connection = storage.GetConnection();
        if (ReadinessJobOf(connection, reservationId) is not { } previous) return;
        client.Delete(previous);
        using var transaction = connection.CreateWriteTransaction();
        transaction.RemoveHash(ReadinessKey(reservationId));
        transaction.Commit();
    }

    public bool HasReadiness(int reservationId)
    {
        using var connection = storage.GetConnection();
        return ReadinessJobOf(connection, reservationId) is { } id
               && connection.GetStateData(id)?.Name is { } state && state != Hangfire.States.DeletedState.StateName;
    }

    public void Delete(string jobId) => client.Delete(jobId);

    public bool IsPending(string jobId)
    {
        using var connection = storage.GetConnection();
        var state = connection.GetStateData(jobId)?.Name;
        return state == Hangfire.States.ScheduledState.StateName || state == Hangfire.States.EnqueuedState.StateName
               || state == Hangfire.States.ProcessingState.StateName;
    }

    private static string ReadinessKey(int reservationId) => $"leaseboard:readiness:{reservationId}";

    private static string? ReadinessJobOf(IStorageConnection connection, int reservationId) =>
        connection.GetAllEntriesFromHash(ReadinessKey(reservationId))?.GetValueOrDefault("job");
}
