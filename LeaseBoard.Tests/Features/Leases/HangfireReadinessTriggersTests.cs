using Hangfire;
using Hangfire.InMemory;
using Hangfire.States;
using LeaseBoard.Features.Leases;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace LeaseBoard.Tests.Features.Leases;

/// <summary>
/// The Hangfire triggers keep each reservation's readiness job id in the job storage (the reservation has no column for
/// it): on a storage of the test's own, no job server, no process-wide Hangfire state.
/// </summary>
public sealed class HangfireReadinessTriggersTests
{
    [Fact]
    public void A_readiness_job_is_replaced_by_the_next_one_and_deleted_with_the_reservation()
    {
        var storage = new InMemoryStorage(new InMemoryStorageOptions { IdType = InMemoryStorageIdType.Guid });
        var clock = new FakeTimeProvider(BookingHarness.DefaultNow);
        var triggers = new HangfireLeaseTriggers(new BackgroundJobClient(storage), storage, clock);
        var start = clock.GetUtcNow().UtcDateTime.AddHours(2);

        Assert.False(triggers.HasReadiness(7));
        var first = triggers.ScheduleReadiness(7, start, start.AddMinutes(-10));
        Assert.True(triggers.HasReadiness(7));
        Assert.Equal(ScheduledState.StateName, StateOf(storage, first));

        var second = triggers.ScheduleReadiness(7, start.AddHours(1), start.AddMinutes(50));
        Assert.Equal((DeletedState.StateName, ScheduledState.StateName), (StateOf(storage, first), StateOf(storage, second)));
        var job = storage.GetConnection().GetJobData(second)!.Job;
        Assert.Equal((nameof(LeaseJobs.CheckReadinessAsync), 7, start.AddHours(1)), (job.Method.Name, (int)job.Args[0], (DateTime)job.Args[1]));
        Assert.False(triggers.HasReadiness(8)); // one reservation's job is its own

        triggers.DeleteReadiness(7);
        Assert.Equal(DeletedState.StateName, StateOf(storage, second));
        Assert.False(triggers.HasReadiness(7));
        triggers.DeleteReadiness(7); // nothing left: no harm
    }

    private static string? StateOf(JobStorage storage, string jobId)
    {
        using var connection = storage.GetConnection();
        return connection.GetStateData(jobId)?.Name;
    }
}
