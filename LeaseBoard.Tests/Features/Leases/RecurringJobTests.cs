using Hangfire;
using Hangfire.States;
using Hangfire.Storage.Monitoring;
using LeaseBoard.Features.Leases;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Tests.Features.Leases;

/// <summary>How the lease jobs end on the real Hangfire server of the shared app host (in-memory storage).</summary>
[Collection(SharedAppCollection.Name)]
public sealed class RecurringJobTests(SharedAppFixture app)
{
    private JobStorage Storage => app.Services.GetRequiredService<JobStorage>();
    private IBackgroundJobClient Client => app.Services.GetRequiredService<IBackgroundJobClient>();

    [Theory]
    [InlineData(LeaseJobs.SuperviseJobId)]
    [InlineData(LeaseJobs.PollRunsJobId)]
    public async Task A_pass_that_finds_the_previous_one_still_running_is_skipped_at_once_and_succeeds(string pass)
    {
        // The lock held here stands in for the previous pass, still running on this instance or another one.
        var resource = pass == LeaseJobs.SuperviseJobId ? LeaseJobs.SupervisePassLock : LeaseJobs.PollRunsPassLock;
        using var connection = Storage.GetConnection();
        // A real pass may hold it for a moment: wait for that one to end.
        using (connection.AcquireDistributedLock(resource, TimeSpan.FromSeconds(30)))
        {
            var id = pass == LeaseJobs.SuperviseJobId
                ? Client.Enqueue<LeaseJobs>(j => j.SuperviseAsync(CancellationToken.None))
                : Client.Enqueue<LeaseJobs>(j => j.PollRunsAsync(CancellationToken.None));

            // Well inside DisableConcurrentExecution's old 2 s / 5 s waits, after which the job failed.
            var details = await Eventually.MatchesAsync(() => Task.FromResult(Storage.GetMonitoringApi().JobDetails(id)), Ended,
                TimeSpan.FromSeconds(10), "the pass ended");
            Assert.Equal(SucceededState.StateName, details.History.First().StateName);
        }
    }

    [Fact]
    public async Task A_failed_lease_job_is_kept_for_the_failed_job_retention_then_expires()
    {
        var retention = app.Services.GetRequiredService<IOptions<LeaseOptions>>().Value.FailedJobRetention;
        Assert.Equal(TimeSpan.FromHours(1), retention); // the shared host's, below the in-memory storage's 3-hour cap and the default 1 day
        var id = Client.Enqueue<LeaseJobs>(j => j.CleanupAsync(-1, CancellationToken.None)); // no such environment: the job throws

        var details = await Eventually.MatchesAsync(() => Task.FromResult(Storage.GetMonitoringApi().JobDetails(id)), Ended,
            TimeSpan.FromSeconds(15), "the job ended");

        var last = details.History.First();
        Assert.Equal(DeletedState.StateName, last.StateName); // not Failed: Hangfire keeps those forever
        Assert.Equal("Retries were disabled for this job.", last.Reason);
        Assert.Contains("InvalidOperationException", last.Data["Exception"]); // what went wrong stays readable on the dashboard
        Assert.NotNull(details.ExpireAt);
        var expected = DateTime.UtcNow + retention;
        Assert.InRange(details.ExpireAt!.Value, expected - TimeSpan.FromMinutes(1), expected + TimeSpan.FromMinutes(1));
    }

    private static bool Ended(JobDetailsDto? details) => details?.History.FirstOrDefault()?.StateName is { } state
        && (state == SucceededState.StateName || state == FailedState.StateName || state == DeletedState.StateName);
}
