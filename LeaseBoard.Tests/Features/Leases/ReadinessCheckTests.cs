using LeaseBoard.Domain;
using LeaseBoard.Features.Framework;
using LeaseBoard.Features.Notifications;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Tests.Features.Leases;

/// <summary>
/// Issue 17, part 1: the readiness check <c>Leases:ReadinessLead</c> (10 min) before each slot, and the probe at the start.
/// "Now" is 09:02; the supervise pass is left out before the slot where its own probes (every 5 min in the harness) would
/// quarantine a failing environment first, so what moves the reservation is the readiness check alone.
/// </summary>
public sealed class ReadinessCheckTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly FaultProfile FailingHealth = new() { FailHealth = true };

    /// <summary>The user's notifications of <paramref name="kind"/>, once there is one.</summary>
    private static async Task<List<NotificationRow>> NotifiedAsync(LeaseHarness h, string userId, NotificationKind kind) =>
        (await Eventually.MatchesAsync(() => h.Notifications.LatestAsync(userId), list => list.Any(n => n.Kind == kind), Wait, $"a {kind} notification"))
        .Where(n => n.Kind == kind).ToList();

    private static async Task<int> CountAsync(LeaseHarness h, int reservationId, string action) =>
        (await h.AuditAsync(reservationId)).Count(a => a.Action == action);

    /// <summary>Advances to <paramref name="at"/> running the due jobs, without the supervise pass.</summary>
    private static Task AdvanceToAsync(LeaseHarness h, DateTime at) => h.AdvanceAsync(at - h.Now, supervise: false);

    [Fact]
    public async Task A_failed_readiness_check_moves_the_reservation_to_a_free_healthy_environment_audited_and_the_owner_told()
    {
        await using var h = await LeaseHarness.CreateAsync();
        await h.NotificationWatcher.StartAsync(CancellationToken.None);
        var booked = await h.BookAsync(3, h.At(10), Hour);
        h.Framework.SetFaults("env-3", FailingHealth);

        await AdvanceToAsync(h, h.At(9, 49).AddSeconds(59));
        Assert.Equal("env-3", (await h.ReservationAsync(booked.Id)).Environment!.Key); // not before its time
        await AdvanceToAsync(h, h.At(9, 50).AddSeconds(1));

        var moved = await h.ReservationAsync(booked.Id);
        Assert.Equal(("env-1", ReservationState.Scheduled, false, h.At(10)), (moved.Environment!.Key, moved.State, moved.AtRisk, moved.StartUtc));
        Assert.Equal("Env 3 failed its readiness check 10 minutes before your slot (Health endpoint answered 503 Service Unavailable); "
                     + "your reservation moved to Env 1, same time.", moved.Outcome);
        Assert.Equal(1, await CountAsync(h, booked.Id, AuditActions.ReservationRelocated));
        Assert.Equal(1, await CountAsync(h, booked.Id, AuditActions.ReservationMoved)); // through the slot guard
        var sick = await h.EnvironmentAsync(3);
        Assert.InRange(sick.LastHealthCheckUtc!.Value, h.At(9, 50), h.At(9, 50).AddSeconds(1)); // the reading is recorded like any probe's
        Assert.Equal(1, sick.ConsecutiveHealthFailures);
        var told = Assert.Single(await NotifiedAsync(h, TestActors.Ana.Id, NotificationKind.Moved));
        Assert.Contains("Env 3 failed its readiness check 10 minutes before your slot", told.Text);

        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(booked.Id)).State == ReservationState.Active, TimeSpan.FromMinutes(11), "the lease starts on Env 1");
        Assert.Equal("env-1", (await h.ReservationAsync(booked.Id)).Environment!.Key);
    }

    [Fact]
    public async Task A_failed_readiness_check_with_no_environment_free_marks_the_reservation_at_risk_and_tells_the_owner_once()
    {
        await using var h = await LeaseHarness.CreateAsync();
        await h.NotificationWatcher.StartAsync(CancellationToken.None);
        var booked = await h.BookAsync(3, h.At(10), Hour);
        foreach (var env in new[] { 1, 2, 4, 5 }) await h.BookAsync(env, h.At(10), Hour, actor: TestActors.Admin);
        h.Framework.SetFaults("env-3", FailingHealth);

        await AdvanceToAsync(h, h.At(9, 50).AddSeconds(1));

        var atRisk = await h.ReservationAsync(booked.Id);
        Assert.Equal(("env-3", ReservationState.Scheduled, true), (atRisk.Environment!.Key, atRisk.State, atRisk.AtRisk));
        Assert.StartsWith("At risk: Env 3 failed its readiness check 10 minutes before your slot (Health endpoint answered 503 Service Unavailable), "
                          + "and no other environment is free for this slot.", atRisk.Outcome);
        Assert.Equal(1, await CountAsync(h, booked.Id, AuditActions.ReservationAtRisk));
        Assert.Contains("failed its readiness check", Assert.Single(await NotifiedAsync(h, TestActors.Ana.Id, NotificationKind.AtRisk)).Text);

        // Fired again (Hangfire is at-least-once): still failing, still nowhere to go — no second entry, no second notice.
        await h.DriveAsync(() => h.Readiness.CheckAsync(booked.Id, h.At(10), CancellationToken.None));
        Assert.Equal(1, await CountAsync(h, booked.Id, AuditActions.ReservationAtRisk));
        Assert.Equal(2, (await h.EnvironmentAsync(3)).ConsecutiveHealthFailures); // it did probe again
        await h.NotificationWatcher.StopAsync(CancellationToken.None);
        Assert.Single(await h.Notifications.LatestAsync(TestActors.Ana.Id), n => n.Kind == NotificationKind.AtRisk);
    }

    [Fact]
    public async Task An_environment_healthy_again_at_the_start_clears_the_readiness_at_risk_mark_and_the_lease_starts_there()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var booked = await h.BookAsync(3, h.At(10), Hour);
        foreach (var env in new[] { 1, 2, 4, 5 }) await h.BookAsync(env, h.At(10), Hour, actor: TestActors.Admin);
        h.Framework.SetFaults("env-3", FailingHealth);
        await AdvanceToAsync(h, h.At(9, 50).AddSeconds(1));
        Assert.True((await h.ReservationAsync(booked.Id)).AtRisk);

        h.Framework.SetFaults("env-3", FaultProfile.None);
        await AdvanceToAsync(h, h.At(10).AddSeconds(1));

        var started = await h.ReservationAsync(booked.Id);
        Assert.Equal(("env-3", ReservationState.Active, false), (started.Environment!.Key, started.State, started.AtRisk));
        var cleared = Assert.Single(await h.AuditAsync(booked.Id), a => a.Action == AuditActions.ReservationAtRiskCleared);
        Assert.Equal("Env 3 passed a later readiness check; no longer at risk.", cleared.Details);
    }

    [Fact]
    public async Task A_healthy_or_only_slow_environment_passes_its_readiness_check_and_nothing_changes()
    {
        await using var h = await LeaseHarness.CreateAsync(new() { ["Framework:Simulated:Faults:env-4:HealthLatencyMs"] = "2500" });
        var healthy = await h.BookAsync(2, h.At(10), Hour);
        var slow = await h.BookAsync(4, h.At(10), Hour);

        await AdvanceToAsync(h, h.At(9, 50).AddSeconds(1));

        foreach (var (booked, key) in new[] { (healthy, "env-2"), (slow, "env-4") })
        {
            var after = await h.ReservationAsync(booked.Id);
            Assert.Equal((key, false, null), (after.Environment!.Key, after.AtRisk, after.Outcome));
            Assert.Equal(0, await CountAsync(h, booked.Id, AuditActions.ReservationRelocated) + await CountAsync(h, booked.Id, AuditActions.ReservationAtRisk));
        }
        Assert.InRange((await h.EnvironmentAsync(2)).LastHealthCheckUtc!.Value, h.At(9, 50), h.At(9, 50).AddSeconds(1)); // the check did probe
        Assert.Equal(HealthStatus.Degraded, (await h.EnvironmentAsync(4)).Health); // slow counts as degraded, and degraded does not move
    }

    [Fact]
    public async Task A_readiness_probe_that_times_out_counts_as_failed()
    {
        // The harness's read timeout is 3 s: a 10 s health answer never comes.
        await using var h = await LeaseHarness.CreateAsync(new() { ["Framework:Simulated:Faults:env-3:HealthLatencyMs"] = "10000" });
        var booked = await h.BookAsync(3, h.At(10), Hour);

        await AdvanceToAsync(h, h.At(9, 51));

        var moved = await h.ReservationAsync(booked.Id);
        Assert.Equal("env-1", moved.Environment!.Key);
        Assert.StartsWith("Env 3 failed its readiness check 10 minutes before your slot (", moved.Outcome);
    }

    [Fact]
    public async Task The_readiness_check_after_a_cancel_after_a_move_or_after_the_start_does_nothing()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var cancelled = await h.BookAsync(3, h.At(12), Hour);
        var movedLater = await h.BookAsync(4, h.At(12), Hour);
        Assert.True((await h.Booking.CancelAsync(cancelled.Id, TestActors.Ana)).Succeeded);
        Assert.True((await h.Booking.MoveAsync(movedLater.Id, h.Env(4).Id, h.At(13), h.At(14), TestActors.Ana)).Succeeded);
        await h.SettledAsync();
        h.Framework.SetFaults("env-3", FailingHealth);
        h.Framework.SetFaults("env-4", FailingHealth);
        await AdvanceToAsync(h, h.At(11, 50));

        // Jobs that escaped their deletion: the cancelled one's, and the moved one's for its old start.
        await h.DriveAsync(() => h.Readiness.CheckAsync(cancelled.Id, h.At(12), CancellationToken.None));
        await h.DriveAsync(() => h.Readiness.CheckAsync(movedLater.Id, h.At(12), CancellationToken.None));

        Assert.Equal((ReservationState.Cancelled, "env-3"), ((await h.ReservationAsync(cancelled.Id)).State, (await h.ReservationAsync(cancelled.Id)).Environment!.Key));
        var later = await h.ReservationAsync(movedLater.Id);
        Assert.Equal(("env-4", false, h.At(13)), (later.Environment!.Key, later.AtRisk, later.StartUtc));
        Assert.Null((await h.EnvironmentAsync(3)).LastHealthCheckUtc); // neither probed
        Assert.Null((await h.EnvironmentAsync(4)).LastHealthCheckUtc);

        // After the start: the start path owns the slot; a late readiness job does not touch a running lease.
        h.Framework.SetFaults("env-4", FaultProfile.None);
        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(movedLater.Id)).State == ReservationState.Active, TimeSpan.FromHours(1.5), "lease starts");
        var probedAt = (await h.EnvironmentAsync(4)).LastHealthCheckUtc;
        h.Framework.SetFaults("env-4", FailingHealth);
        await h.DriveAsync(() => h.Readiness.CheckAsync(movedLater.Id, h.At(13), CancellationToken.None));
        Assert.Equal(probedAt, (await h.EnvironmentAsync(4)).LastHealthCheckUtc);
        Assert.Equal(("env-4", ReservationState.Active), ((await h.ReservationAsync(movedLater.Id)).Environment!.Key, (await h.ReservationAsync(movedLater.Id)).State));
    }

    [Fact]
    public async Task A_readiness_check_fired_twice_after_it_moved_the_reservation_leaves_it_where_it_went()
    {
        await using var h = await LeaseHarness.CreateAsync();
        await h.NotificationWatcher.StartAsync(CancellationToken.None);
        var booked = await h.BookAsync(3, h.At(10), Hour);
        h.Framework.SetFaults("env-3", FailingHealth);
        await AdvanceToAsync(h, h.At(9, 50).AddSeconds(1));
        Assert.Equal("env-1", (await h.ReservationAsync(booked.Id)).Environment!.Key);

        await h.DriveAsync(() => h.Readiness.CheckAsync(booked.Id, h.At(10), CancellationToken.None));
        await h.RunDueAsync(supervise: false);

        Assert.Equal("env-1", (await h.ReservationAsync(booked.Id)).Environment!.Key);
        Assert.Equal(1, await CountAsync(h, booked.Id, AuditActions.ReservationRelocated));
        await NotifiedAsync(h, TestActors.Ana.Id, NotificationKind.Moved);
        await h.NotificationWatcher.StopAsync(CancellationToken.None);
        Assert.Single(await h.Notifications.LatestAsync(TestActors.Ana.Id), n => n.Kind == NotificationKind.Moved);
    }

    [Fact]
    public async Task A_reservation_booked_five_minutes_before_its_start_is_checked_at_once()
    {
        await using var h = await LeaseHarness.CreateAsync();
        await AdvanceToAsync(h, h.At(9, 5));
        h.Framework.SetFaults("env-3", FailingHealth);

        var booked = await h.BookAsync(3, h.At(9, 10), Hour);
        var job = Assert.Single(h.Jobs.PendingReadiness(booked.Id));
        Assert.Equal((h.At(9, 5), h.At(9, 10)), (job.DueUtc, job.ForStartUtc!.Value));
        await h.RunDueAsync(supervise: false);

        var moved = await h.ReservationAsync(booked.Id);
        Assert.Equal("env-1", moved.Environment!.Key);
        Assert.StartsWith("Env 3 failed its readiness check 5 minutes before your slot", moved.Outcome);
    }

    [Fact]
    public async Task The_readiness_job_follows_a_move_and_is_removed_with_a_cancel()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var booked = await h.BookAsync(3, h.At(12), Hour);
        Assert.Equal((h.At(11, 50), h.At(12)), Due(Assert.Single(h.Jobs.PendingReadiness(booked.Id))));

        Assert.True((await h.Booking.MoveAsync(booked.Id, h.Env(3).Id, h.At(13), h.At(14), TestActors.Ana)).Succeeded);
        await h.SettledAsync();
        Assert.Equal((h.At(12, 50), h.At(13)), Due(Assert.Single(h.Jobs.PendingReadiness(booked.Id))));

        Assert.True((await h.Booking.MoveAsync(booked.Id, h.Env(5).Id, h.At(13), h.At(14), TestActors.Ana)).Succeeded); // another lane, same time
        await h.SettledAsync();
        Assert.Equal((h.At(12, 50), h.At(13)), Due(Assert.Single(h.Jobs.PendingReadiness(booked.Id))));

        Assert.True((await h.Booking.CancelAsync(booked.Id, TestActors.Ana)).Succeeded);
        await h.SettledAsync();
        Assert.Empty(h.Jobs.PendingReadiness(booked.Id));
        Assert.False(h.Jobs.HasReadiness(booked.Id));

        static (DateTime, DateTime) Due(ManualLeaseTriggers.RecordedJob job) => (job.DueUtc, job.ForStartUtc!.Value);
    }

    [Fact]
    public async Task After_a_restart_the_reconcile_recreates_lost_readiness_checks_at_their_time_or_at_once()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var later = await h.BookAsync(3, h.At(12), Hour);
        var soon = await h.BookAsync(4, h.At(10), Hour);
        await AdvanceToAsync(h, h.At(9, 45));

        await h.RestartAsync(); // the recorded jobs are gone, as with Hangfire's in-memory storage

        Assert.Equal(h.At(11, 50), Assert.Single(h.Jobs.PendingReadiness(later.Id)).DueUtc);
        Assert.Equal(h.At(9, 50), Assert.Single(h.Jobs.PendingReadiness(soon.Id)).DueUtc);
        await h.DriveAsync(() => h.Supervisor.ReconcileAsync(CancellationToken.None));
        Assert.Single(h.Jobs.PendingReadiness(later.Id)); // a check still held is not made twice
    }

    [Fact]
    public async Task The_probe_at_the_start_moves_the_reservation_to_a_free_environment_and_starts_it_there()
    {
        await using var h = await LeaseHarness.CreateAsync();
        await h.NotificationWatcher.StartAsync(CancellationToken.None);
        var booked = await h.BookAsync(3, h.At(10), Hour);
        await AdvanceToAsync(h, h.At(9, 55)); // the readiness check passed at 09:50
        Assert.Equal("env-3", (await h.ReservationAsync(booked.Id)).Environment!.Key);
        h.Framework.SetFaults("env-3", FailingHealth);

        await AdvanceToAsync(h, h.At(10).AddSeconds(1));

        var started = await h.ReservationAsync(booked.Id);
        Assert.Equal(("env-1", ReservationState.Active), (started.Environment!.Key, started.State));
        Assert.Equal("env-1", (await h.Framework.ListActiveRunsAsync(CancellationToken.None)).Single().EnvironmentKey);
        var relocated = Assert.Single(await h.AuditAsync(booked.Id), a => a.Action == AuditActions.ReservationRelocated);
        Assert.Equal("Env 3 failed its health check at the start of your slot (Health endpoint answered 503 Service Unavailable); "
                     + "your reservation moved to Env 1, same time, and starts there.", relocated.Details);
        Assert.Contains("starts there", Assert.Single(await NotifiedAsync(h, TestActors.Ana.Id, NotificationKind.Moved)).Text);
    }

    [Fact]
    public async Task The_probe_at_the_start_with_no_environment_free_does_not_start_the_lease_and_says_why()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var booked = await h.BookAsync(3, h.At(10), Hour);
        foreach (var env in new[] { 1, 2, 4, 5 }) await h.BookAsync(env, h.At(10), Hour, actor: TestActors.Admin);
        await AdvanceToAsync(h, h.At(9, 55));
        h.Framework.SetFaults("env-3", FailingHealth);

        await AdvanceToAsync(h, h.At(10).AddSeconds(1));

        var missed = await h.ReservationAsync(booked.Id);
        Assert.Equal((ReservationState.Failed, "env-3"), (missed.State, missed.Environment!.Key));
        Assert.Equal("Not started: Env 3 failed its health check at the start of your slot (Health endpoint answered 503 Service Unavailable), "
                     + "and no other environment was free for the slot.", missed.Outcome);
        Assert.Empty(missed.Runs);
        Assert.Equal(1, await CountAsync(h, booked.Id, AuditActions.LeaseMissed));
        Assert.Equal(EnvironmentState.Available, (await h.EnvironmentAsync(3)).State);
    }

    [Fact]
    public async Task With_a_readiness_lead_of_zero_nothing_is_scheduled_and_the_start_does_not_probe()
    {
        await using var h = await LeaseHarness.CreateAsync(new() { ["Leases:ReadinessLead"] = "00:00:00" });
        var booked = await h.BookAsync(3, h.At(10), Hour);
        var soon = await h.BookAsync(4, h.At(9, 10), Hour);
        h.Framework.SetFaults("env-3", FailingHealth);

        Assert.DoesNotContain(h.Jobs.All, j => j.Kind == "readiness");
        await AdvanceToAsync(h, h.At(10).AddSeconds(1));

        var started = await h.ReservationAsync(booked.Id);
        Assert.Equal(("env-3", ReservationState.Active), (started.Environment!.Key, started.State)); // as before the check existed
        Assert.Null((await h.EnvironmentAsync(3)).LastHealthCheckUtc);
        Assert.Equal(ReservationState.Active, (await h.ReservationAsync(soon.Id)).State);
        Assert.DoesNotContain(h.Jobs.All, j => j.Kind == "readiness");
    }

    [Fact]
    public async Task A_failed_readiness_check_never_moves_the_reservation_to_an_environment_whose_last_probe_failed()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var booked = await h.BookAsync(3, h.At(10), Hour);
        h.Framework.SetFaults("env-1", FailingHealth);
        h.Framework.SetFaults("env-3", FailingHealth);
        await h.DriveAsync(() => h.Care.ProbeHealthAsync(h.Env(1).Id, CancellationToken.None));
        Assert.Equal((HealthStatus.Degraded, 1), ((await h.EnvironmentAsync(1)).Health, (await h.EnvironmentAsync(1)).ConsecutiveHealthFailures)); // not yet Unhealthy

        await AdvanceToAsync(h, h.At(9, 50).AddSeconds(1));

        var moved = await h.ReservationAsync(booked.Id);
        Assert.Equal("env-2", moved.Environment!.Key); // Env 1 just failed a probe: no ping-pong between two failing environments
        Assert.EndsWith("your reservation moved to Env 2, same time.", moved.Outcome);
    }

    [Fact]
    public async Task A_reservation_whose_environment_was_retired_meanwhile_is_moved_by_its_readiness_check_without_a_probe()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var booked = await h.BookAsync(3, h.At(10), Hour);
        await using (var db = h.Database.CreateDbContext())
            await db.Environments.Where(e => e.Id == h.Env(3).Id).ExecuteUpdateAsync(s => s
                .SetProperty(e => e.State, EnvironmentState.Retired).SetProperty(e => e.QuarantineReason, "Removed from configuration").SetProperty(e => e.Version, Guid.NewGuid()));

        await AdvanceToAsync(h, h.At(9, 50).AddSeconds(1));

        var moved = await h.ReservationAsync(booked.Id);
        Assert.Equal("env-1", moved.Environment!.Key);
        Assert.Equal("Env 3 failed its readiness check 10 minutes before your slot (it is retired: Removed from configuration); your reservation moved to Env 1, same time.",
            moved.Outcome);
        Assert.Null((await h.EnvironmentAsync(3)).LastHealthCheckUtc);
    }
}
