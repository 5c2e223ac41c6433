using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Reliability;
using LeaseBoard.Tests.TestSupport;

namespace LeaseBoard.Tests.Features.Reliability;

/// <summary>The figures of /reliability from runs and quarantines whose every number is known, on both providers.</summary>
public sealed class ReliabilityQueriesTests
{
    [SkippableTheory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.SqlServer)]
    public async Task Utilisation_runs_failure_rate_hangs_mtbf_and_quarantined_time_per_environment_over_the_period(DatabaseProvider provider)
    {
        await using var h = await BookingHarness.CreateAsync(provider);
        var now = h.Now;
        var reservation = await new ReservationBuilder(h.Env(1).Id, now.AddDays(-20), now.AddDays(-20).AddHours(1)).InState(ReservationState.Completed).SaveAsync(h.Database);
        await using (var db = h.Database.CreateDbContext())
        {
            void Run(int env, double hoursAgo, double hours, TestRunState state, RunAttribution? attribution) => db.TestRuns.Add(new TestRun
            {
                ReservationId = reservation.Id, EnvironmentId = h.Env(env).Id, FencingToken = 1, State = state, Attribution = attribution,
                StartedUtc = now.AddHours(-hoursAgo), EndedUtc = attribution is null ? null : now.AddHours(-hoursAgo + hours),
            });
            // env-1 over the last 7 days: 4 finished runs of 6 h each, 2 through the infrastructure, 1 hung; and one running for 3 h now.
            Run(1, 24, 6, TestRunState.Succeeded, RunAttribution.Passed);
            Run(1, 48, 6, TestRunState.Failed, RunAttribution.Infrastructure);
            Run(1, 72, 6, TestRunState.Lost, RunAttribution.Infrastructure);
            Run(1, 96, 6, TestRunState.Hung, RunAttribution.Hung);
            Run(1, 3, 0, TestRunState.Running, null);
            // env-2: one test failure 20 days ago (in the 30-day figures only).
            Run(2, 20 * 24, 12, TestRunState.Failed, RunAttribution.Test);
            // env-3: quarantined 2 days ago for 10 hours, and again 5 hours ago until now; quarantined 40 days ago for a day (outside both periods).
            db.AuditEntries.AddRange(
                Mark(h.Env(3).Id, now.AddDays(-40), AuditActions.EnvironmentQuarantined), Mark(h.Env(3).Id, now.AddDays(-39), AuditActions.EnvironmentReturned),
                Mark(h.Env(3).Id, now.AddHours(-48), AuditActions.EnvironmentQuarantined),
                Mark(h.Env(3).Id, now.AddHours(-45), AuditActions.AdminReturn), // a refused return: the quarantine went on
                Mark(h.Env(3).Id, now.AddHours(-38), AuditActions.EnvironmentReturned),
                Mark(h.Env(3).Id, now.AddHours(-5), AuditActions.EnvironmentQuarantined));
            var env3 = db.Environments.Single(e => e.Id == h.Env(3).Id);
            env3.State = EnvironmentState.Quarantined;
            await db.SaveChangesAsync();
        }
        var queries = new ReliabilityQueries(h.Database, h.Clock);

        var week = await queries.ForAsync(TimeSpan.FromDays(7));
        var one = week.Environments.Single(e => e.Key == "env-1");
        Assert.Equal(5, one.Runs);
        Assert.Equal((24 + 3) / (7 * 24.0), one.Utilisation, 6);
        Assert.Equal((2, 0.5, 1), (one.InfrastructureFailures, one.InfrastructureFailureRate!.Value, one.Hangs));
        Assert.Equal(TimeSpan.FromDays(7) / 2, one.MeanTimeBetweenInfrastructureFailures);
        Assert.Equal(TimeSpan.Zero, one.Quarantined);
        var two = week.Environments.Single(e => e.Key == "env-2");
        Assert.Equal((0, (double?)null, (TimeSpan?)null), (two.Runs, two.InfrastructureFailureRate, two.MeanTimeBetweenInfrastructureFailures));
        var three = week.Environments.Single(e => e.Key == "env-3");
        Assert.Equal(TimeSpan.FromHours(10 + 5), three.Quarantined);

        var month = await queries.ForAsync(TimeSpan.FromDays(30));
        Assert.Equal((1, 0.0), (month.Environments.Single(e => e.Key == "env-2").Runs, month.Environments.Single(e => e.Key == "env-2").InfrastructureFailureRate!.Value));
        Assert.Equal(TimeSpan.FromHours(15), month.Environments.Single(e => e.Key == "env-3").Quarantined);
        Assert.Equal(TimeSpan.FromDays(30) / 2, month.Environments.Single(e => e.Key == "env-1").MeanTimeBetweenInfrastructureFailures);
    }

    [Fact]
    public async Task With_no_runs_the_report_has_every_environment_at_zero_and_says_so()
    {
        await using var h = await BookingHarness.CreateAsync();
        var report = await new ReliabilityQueries(h.Database, h.Clock).ForAsync(TimeSpan.FromDays(7));
        Assert.False(report.HasRuns);
        Assert.Equal(5, report.Environments.Count);
        Assert.All(report.Environments, e => Assert.Equal((0, 0.0), (e.Runs, e.Utilisation)));
    }

    private static AuditEntry Mark(int environmentId, DateTime at, string action) =>
        new() { AtUtc = at, Actor = "system", Action = action, EnvironmentId = environmentId, Details = action };
}
