using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;

namespace LeaseBoard.Tests.Features.Leases;

/// <summary>Every finished run says who or what its end is due to, on the real lease engine with the fake clock.</summary>
public sealed class FailureAttributionTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private static async Task<Reservation> EndedAsync(LeaseHarness h, int id, TimeSpan within)
    {
        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(id)).Runs.SingleOrDefault()?.Attribution is not null, within, "the run ends");
        return await h.ReservationAsync(id);
    }

    [Fact]
    public async Task A_test_that_fails_on_a_healthy_environment_is_the_tests_failure_and_stays_so_after_a_clean_cleanup()
    {
        await using var h = await LeaseHarness.CreateAsync(new() { ["Framework:Simulated:Faults:env-1:CrashAtPercent"] = "50" });
        var lease = await h.BookAsync(1, h.At(9, 5), Hour);

        var ended = await EndedAsync(h, lease.Id, TimeSpan.FromMinutes(50));
        await h.AdvanceUntilAsync(async () => (await h.EnvironmentAsync(1)).State == EnvironmentState.Available, TimeSpan.FromMinutes(5), "cleanup");

        var run = (await h.ReservationAsync(lease.Id)).Runs.Single();
        Assert.Equal((ReservationState.Failed, TestRunState.Failed, RunAttribution.Test), (ended.State, run.State, run.Attribution));
        Assert.DoesNotContain("failed under your test", (await h.ReservationAsync(lease.Id)).Outcome);
    }

    [Fact]
    public async Task A_test_that_fails_while_its_environment_is_unhealthy_is_the_infrastructures_and_the_owner_is_told_so()
    {
        await using var h = await LeaseHarness.CreateAsync(new()
        {
            ["Framework:Simulated:Faults:env-1:CrashAtPercent"] = "50",
            ["Leases:HealthCheckInterval"] = "00:01:00",
            ["Leases:AutoQuarantineInfrastructureFailures"] = "0",
        });
        var lease = await h.BookAsync(1, h.At(9, 5), Hour);
        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(lease.Id)).State == ReservationState.Active, TimeSpan.FromMinutes(5), "lease starts");
        h.Framework.SetFaults("env-1", new() { CrashAtPercent = 50, FailHealth = true });

        var ended = await EndedAsync(h, lease.Id, TimeSpan.FromMinutes(50));

        Assert.Equal(RunAttribution.Infrastructure, ended.Runs.Single().Attribution);
        Assert.Contains("Env 1 failed under your test; this run does not count against your weekly hours.", ended.Outcome);
        await h.NotificationWatcher.HandleAsync(new(lease.Id, lease.EnvironmentId, ended.State, LeaseBoard.Features.LiveUpdates.ReservationChange.Ended));
        var told = await h.Notifications.LatestAsync(TestActors.Ana.Id);
        Assert.Contains(told, n => n.Kind == NotificationKind.EnvironmentFailed && n.Text.Contains("failed under your test"));
    }

    [Fact]
    public async Task A_test_failure_followed_by_a_failed_reset_is_blamed_on_the_environment_audited_and_retold()
    {
        await using var h = await LeaseHarness.CreateAsync(new()
        {
            ["Framework:Simulated:Faults:env-2:CrashAtPercent"] = "50",
            ["Framework:Simulated:Faults:env-2:FailReset"] = "true",
        });
        var lease = await h.BookAsync(2, h.At(9, 5), Hour);

        await h.AdvanceUntilAsync(async () => (await h.EnvironmentAsync(2)).State == EnvironmentState.Quarantined, TimeSpan.FromMinutes(50), "reset fails");

        var blamed = await h.ReservationAsync(lease.Id);
        Assert.Equal(RunAttribution.Infrastructure, blamed.Runs.Single().Attribution);
        Assert.Contains("Env 2 failed under your test", blamed.Outcome);
        Assert.Contains("its reset after the run failed", blamed.Outcome);
        Assert.Single(await h.AuditAsync(), a => a.Action == AuditActions.RunAttributed);
    }

    [Fact]
    public async Task A_run_released_by_its_owner_is_stopped_and_one_that_passes_is_passed()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var released = await h.BookAsync(1, h.At(9, 5), Hour, spec: "duration=50");
        var passed = await h.BookAsync(2, h.At(9, 5), Hour, spec: "duration=20");
        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(released.Id)).State == ReservationState.Active, TimeSpan.FromMinutes(5), "leases start");

        Assert.True((await h.Booking.ReleaseAsync(released.Id, TestActors.Ana)).Succeeded);

        Assert.Equal(RunAttribution.Stopped, (await EndedAsync(h, released.Id, TimeSpan.FromMinutes(10))).Runs.Single().Attribution);
        Assert.Equal(RunAttribution.Passed, (await EndedAsync(h, passed.Id, TimeSpan.FromMinutes(30))).Runs.Single().Attribution);
    }

    [Fact]
    public async Task Infrastructure_failures_do_not_count_against_the_weekly_hours_and_a_test_failure_counts_the_time_it_ran()
    {
        await using var h = await LeaseHarness.CreateAsync(new()
        {
            ["Booking:MaxHoursPerWeekPerUser"] = "2",
            ["Framework:Simulated:Faults:env-1:FailStart"] = "true",
            ["Framework:Simulated:Faults:env-2:CrashAtPercent"] = "50",
            ["Leases:StartRetryDelay"] = "00:00:10",
            ["Leases:AutoQuarantineInfrastructureFailures"] = "0",
        });
        var infra = await h.BookAsync(1, h.At(9, 5), Hour);
        var test = await h.BookAsync(2, h.At(9, 5), Hour);
        Assert.Equal(RunAttribution.Infrastructure, (await EndedAsync(h, infra.Id, TimeSpan.FromMinutes(5))).Runs.Single().Attribution);
        var failed = await EndedAsync(h, test.Id, TimeSpan.FromMinutes(50));
        Assert.Equal(RunAttribution.Test, failed.Runs.Single().Attribution);
        var ran = failed.EndedUtc!.Value - failed.StartUtc; // the simulated test crashes half-way through its 85 % of the slot

        // The test failure counts the ~26 minutes it ran; the failed start counts nothing: 2 hours minus what ran is left.
        var tooLong = await h.Booking.BookAsync(new BookingRequest(h.Env(3).Id, h.At(12), TimeSpan.FromMinutes(120), "Too long", TestKind.Load, ""), TestActors.Ana);
        Assert.Equal(BookingOutcome.LimitReached, tooLong.Outcome);
        var fits = TimeSpan.FromMinutes(Math.Floor((TimeSpan.FromHours(2) - ran).TotalMinutes / 5) * 5);
        var ok = await h.Booking.BookAsync(new BookingRequest(h.Env(3).Id, h.At(12), fits, "Fits", TestKind.Load, ""), TestActors.Ana);
        Assert.True(ok.Succeeded, ok.Message);
    }

    [Fact]
    public async Task An_environment_whose_recent_runs_keep_failing_through_the_infrastructure_is_quarantined_and_starts_afresh_when_returned()
    {
        await using var h = await LeaseHarness.CreateAsync(new()
        {
            ["Framework:Simulated:Faults:env-1:FailStart"] = "true",
            ["Leases:StartRetryDelay"] = "00:00:10",
            ["Leases:AutoQuarantineWindowRuns"] = "3",
            ["Leases:AutoQuarantineInfrastructureFailures"] = "2",
        });
        var first = await h.BookAsync(1, h.At(9, 5), Hour);
        await EndedAsync(h, first.Id, TimeSpan.FromMinutes(5));
        await h.AdvanceUntilAsync(async () => (await h.EnvironmentAsync(1)).State == EnvironmentState.Available, TimeSpan.FromMinutes(5), "one failure: back in service");

        var second = await h.BookAsync(1, h.At(10, 30), Hour);
        await EndedAsync(h, second.Id, TimeSpan.FromHours(2));
        await h.AdvanceUntilAsync(async () => (await h.EnvironmentAsync(1)).State == EnvironmentState.Quarantined, TimeSpan.FromMinutes(5), "two failures: quarantined");
        Assert.StartsWith("Automatic: 2 of its last 2 runs failed through the environment (the threshold is 2 of 3)", (await h.EnvironmentAsync(1)).QuarantineReason);

        h.Framework.SetFaults("env-1", new());
        Assert.True((await h.Admin.ReturnToServiceAsync(TestActors.Admin, h.Env(1).Id, "agent fixed", evenIfUnhealthy: false)).Succeeded);
        await h.AdvanceUntilAsync(async () => (await h.EnvironmentAsync(1)).State == EnvironmentState.Available, TimeSpan.FromMinutes(5), "returned");
        var third = await h.BookAsync(1, h.At(13, 0), Hour, spec: "duration=20");
        Assert.Equal(RunAttribution.Passed, (await EndedAsync(h, third.Id, TimeSpan.FromHours(4))).Runs.Single().Attribution);
        await h.AdvanceUntilAsync(async () => (await h.EnvironmentAsync(1)).State == EnvironmentState.Available, TimeSpan.FromMinutes(5), "stays in service");
    }
}
