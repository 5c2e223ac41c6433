using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Admin;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Framework;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Tests.Features.Admin;

/// <summary>Each admin action's effect on the database, the simulated framework and the audit log, with the lease engine driven by a fake clock.</summary>
public sealed class AdminServiceTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly Actor Admin = TestActors.Admin;

    private static async Task<Reservation> RunningLeaseAsync(LeaseHarness h, int environment = 1)
    {
        var booked = await h.BookAsync(environment, h.At(9, 5), Hour * 2);
        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(booked.Id)).Runs.SingleOrDefault()?.State == TestRunState.Running,
            TimeSpan.FromMinutes(5), "lease runs");
        return booked;
    }

    [Fact]
    public async Task Admin_force_release_stops_the_test_marks_the_reservation_force_released_with_the_reason_cleans_up_and_audits()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var lease = await RunningLeaseAsync(h);

        var result = await h.DriveAsync(() => h.Admin.ForceReleaseAsync(Admin, h.Env(1).Id, "Agent is leaking memory"));

        Assert.True(result.Succeeded, result.Message);
        await h.AdvanceUntilAsync(async () => (await h.EnvironmentAsync(1)).State == EnvironmentState.Available, TimeSpan.FromMinutes(5), "cleaned up");
        var ended = await h.ReservationAsync(lease.Id);
        Assert.Equal(ReservationState.ForceReleased, ended.State);
        Assert.Contains("Agent is leaking memory", ended.Outcome);
        var run = ended.Runs.Single();
        Assert.Equal(TestRunState.Killed, run.State);
        var status = await h.Framework.GetRunStatusAsync("env-1", run.FrameworkRunId!, CancellationToken.None);
        Assert.NotEqual(RunPhase.Running, status.Phase);
        var audit = await h.AuditAsync();
        Assert.Contains(audit, a => a.Action == AuditActions.AdminForceRelease && a.Actor == Admin.Id && a.Details.Contains("Agent is leaking memory"));
        Assert.Contains(audit, a => a.Action == AuditActions.LeaseForceReleased && a.ReservationId == lease.Id);
    }

    [Fact]
    public async Task Two_admins_force_releasing_at_once_leave_one_force_release_and_two_audit_entries_that_say_what_happened()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var lease = await RunningLeaseAsync(h);
        var other = new Actor("local:other-admin", "Other admin", IsAdmin: true);

        var results = await h.DriveAsync(() => AtOnce.RunAsync(
            () => h.Admin.ForceReleaseAsync(Admin, h.Env(1).Id, "first"),
            () => h.Admin.ForceReleaseAsync(other, h.Env(1).Id, "second")));

        Assert.Single(results, r => r.Succeeded);
        Assert.Single(results, r => r.Outcome == AdminOutcome.Refused);
        await h.AdvanceUntilAsync(async () => (await h.EnvironmentAsync(1)).State == EnvironmentState.Available, TimeSpan.FromMinutes(5), "cleaned up");
        var ended = await h.ReservationAsync(lease.Id);
        Assert.Equal(ReservationState.ForceReleased, ended.State);
        var audit = (await h.AuditAsync()).Where(a => a.Action == AuditActions.AdminForceRelease).ToList();
        Assert.Equal(2, audit.Count);
        Assert.Single(audit, a => a.Details.Contains("Outcome: done"));
        Assert.Single(audit, a => a.Details.Contains("Outcome: refused"));
        Assert.Single(await h.AuditAsync(lease.Id), a => a.Action == AuditActions.LeaseForceReleased);
    }

    [Fact]
    public async Task An_admin_force_releasing_while_the_lease_ends_by_itself_leaves_one_consistent_outcome()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var lease = await RunningLeaseAsync(h);

        await h.DriveAsync(() => AtOnce.RunAsync(
            () => h.Admin.ForceReleaseAsync(Admin, h.Env(1).Id, "racing the owner"),
            async () =>
            {
                await h.Booking.ReleaseAsync(lease.Id, TestActors.Ana);
                await h.Engine.CheckRunAsync(lease.Id, CancellationToken.None);
            }));

        await h.AdvanceUntilAsync(async () => (await h.EnvironmentAsync(1)).State == EnvironmentState.Available, TimeSpan.FromMinutes(10), "cleaned up");
        var ended = await h.ReservationAsync(lease.Id);
        Assert.Contains(ended.State, new[] { ReservationState.ForceReleased, ReservationState.Completed });
        Assert.All(ended.Runs, r => Assert.False(r.State.IsOpen()));
        Assert.Single(await h.AuditAsync(), a => a.Action == AuditActions.AdminForceRelease);
    }

    [Fact]
    public async Task Admin_quarantine_takes_the_environment_out_of_booking_with_the_reason_and_moves_its_upcoming_reservations()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var upcoming = await h.BookAsync(4, h.At(14), Hour);
        for (var env = 1; env <= 5; env++)
            if (env != 4) await h.BookAsync(env, h.At(16), Hour, actor: TestActors.Ben);
        var stuck = await h.BookAsync(4, h.At(16), Hour, actor: new Actor("local:cleo", "Cleo", IsAdmin: false));

        var result = await h.DriveAsync(() => h.Admin.QuarantineAsync(Admin, h.Env(4).Id, "Disk controller errors", andForceRelease: false));

        Assert.True(result.Succeeded, result.Message);
        // The outcome says which reservations went where, and which could not move.
        Assert.Equal($"Env 4 quarantined. Its upcoming reservations: '{upcoming.Title}' of {upcoming.OwnerName} moved from Env 4 to Env 1; " +
                     $"'{stuck.Title}' of {stuck.OwnerName} at risk (no environment free for its slot).", result.Message);
        var environment = await h.EnvironmentAsync(4);
        Assert.Equal((EnvironmentState.Quarantined, "Disk controller errors", Admin.Id), (environment.State, environment.QuarantineReason, environment.QuarantinedBy));
        Assert.NotEqual(h.Env(4).Id, (await h.ReservationAsync(upcoming.Id)).EnvironmentId);
        var refused = await h.Booking.BookAsync(new BookingRequest(h.Env(4).Id, h.At(16), Hour, "Later", TestKind.Load, ""), TestActors.Ben);
        Assert.False(refused.Succeeded);
        Assert.Contains("Disk controller errors", refused.Message);
        Assert.Contains(await h.AuditAsync(), a => a.Action == AuditActions.AdminQuarantine && a.Details.Contains("Disk controller errors"));
    }

    [Fact]
    public async Task Admin_reasons_are_stored_trimmed_in_the_quarantine_the_force_release_the_maintenance_window_and_the_audit()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var lease = await RunningLeaseAsync(h);
        const string typed = "  chaos run broke it \n";

        var quarantined = await h.DriveAsync(() => h.Admin.QuarantineAsync(Admin, h.Env(1).Id, typed, andForceRelease: true));
        var blocked = await h.Admin.BlockMaintenanceAsync(Admin, h.Env(2).Id, h.At(12), h.At(15), typed, MaintenanceConflicts.Refuse);

        Assert.True(quarantined.Succeeded, quarantined.Message);
        Assert.True(blocked.Succeeded, blocked.Message);
        Assert.Equal("chaos run broke it", (await h.EnvironmentAsync(1)).QuarantineReason);
        Assert.Equal($"Force-released by {Admin.DisplayName}: chaos run broke it", (await h.ReservationAsync(lease.Id)).Outcome);
        await using (var db = h.Database.CreateDbContext())
            Assert.Equal("chaos run broke it", (await db.MaintenanceWindows.SingleAsync(w => w.EnvironmentId == h.Env(2).Id)).Reason);
        var audit = await h.AuditAsync();
        Assert.Contains(audit, a => a.Action == AuditActions.AdminQuarantine && a.Details.Contains("Reason: chaos run broke it Outcome:"));
        Assert.Contains(audit, a => a.Action == AuditActions.AdminMaintenance && a.Details.Contains("Reason: chaos run broke it Outcome:"));
        Assert.DoesNotContain(audit, a => a.Details.Contains(typed) || a.Details.Contains("chaos run broke it \n"));
    }

    [Fact]
    public async Task Two_admins_quarantining_at_once_leave_one_quarantine_and_two_audit_entries_that_say_what_happened()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var other = new Actor("local:other-admin", "Other admin", IsAdmin: true);

        var results = await h.DriveAsync(() => AtOnce.RunAsync(
            () => h.Admin.QuarantineAsync(Admin, h.Env(3).Id, "reason one", andForceRelease: false),
            () => h.Admin.QuarantineAsync(other, h.Env(3).Id, "reason two", andForceRelease: false)));

        Assert.Single(results, r => r.Succeeded);
        Assert.Contains("already quarantined", Assert.Single(results, r => r.Outcome == AdminOutcome.Refused).Message);
        var environment = await h.EnvironmentAsync(3);
        Assert.Equal(EnvironmentState.Quarantined, environment.State);
        Assert.Contains(environment.QuarantineReason, new[] { "reason one", "reason two" });
        Assert.Single(await h.AuditAsync(), a => a.Action == AuditActions.EnvironmentQuarantined);
        var audit = (await h.AuditAsync()).Where(a => a.Action == AuditActions.AdminQuarantine).ToList();
        Assert.Equal(2, audit.Count);
        Assert.Single(audit, a => a.Details.Contains("Outcome: done") && a.Details.Contains(environment.QuarantineReason!));
    }

    [Fact]
    public async Task Admin_quarantine_leaves_a_running_lease_alone_unless_force_release_is_ticked()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var lease = await RunningLeaseAsync(h);

        await h.DriveAsync(() => h.Admin.QuarantineAsync(Admin, h.Env(1).Id, "watch it", andForceRelease: false));
        Assert.Equal(ReservationState.Active, (await h.ReservationAsync(lease.Id)).State);

        await using var h2 = await LeaseHarness.CreateAsync();
        var lease2 = await RunningLeaseAsync(h2);
        var result = await h2.DriveAsync(() => h2.Admin.QuarantineAsync(Admin, h2.Env(1).Id, "pull it now", andForceRelease: true));
        Assert.True(result.Succeeded, result.Message);
        await h2.AdvanceUntilAsync(async () => (await h2.ReservationAsync(lease2.Id)).Runs.Single().State.IsOpen() == false, TimeSpan.FromMinutes(5), "run stopped");
        Assert.Equal(ReservationState.ForceReleased, (await h2.ReservationAsync(lease2.Id)).State);
        Assert.Equal(EnvironmentState.Quarantined, (await h2.EnvironmentAsync(1)).State);
    }

    [Fact]
    public async Task Admin_return_to_service_refuses_an_unhealthy_environment_with_the_reason_unless_overridden()
    {
        await using var h = await LeaseHarness.CreateAsync();
        await h.DriveAsync(() => h.Admin.QuarantineAsync(Admin, h.Env(2).Id, "flaky", andForceRelease: false));
        h.Framework.SetFaults("env-2", new FaultProfile { FailHealth = true });

        var refused = await h.DriveAsync(() => h.Admin.ReturnToServiceAsync(Admin, h.Env(2).Id, "looks fixed", evenIfUnhealthy: false));
        Assert.Equal(AdminOutcome.Refused, refused.Outcome);
        Assert.Contains("503", refused.Message);
        Assert.Equal(EnvironmentState.Quarantined, (await h.EnvironmentAsync(2)).State);

        var forced = await h.DriveAsync(() => h.Admin.ReturnToServiceAsync(Admin, h.Env(2).Id, "need it for the demo", evenIfUnhealthy: true));
        Assert.True(forced.Succeeded, forced.Message);
        var environment = await h.EnvironmentAsync(2);
        Assert.Equal(EnvironmentState.Available, environment.State);
        Assert.Null(environment.QuarantineReason);
        Assert.Equal(2, (await h.AuditAsync()).Count(a => a.Action == AuditActions.AdminReturn));
    }

    [Fact]
    public async Task Admin_return_to_service_of_a_healthy_environment_makes_it_bookable_again()
    {
        await using var h = await LeaseHarness.CreateAsync();
        await h.DriveAsync(() => h.Admin.QuarantineAsync(Admin, h.Env(3).Id, "check cabling", andForceRelease: false));

        var result = await h.DriveAsync(() => h.Admin.ReturnToServiceAsync(Admin, h.Env(3).Id, "cabling fine", evenIfUnhealthy: false));

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal((EnvironmentState.Available, HealthStatus.Healthy), ((await h.EnvironmentAsync(3)).State, (await h.EnvironmentAsync(3)).Health));
        Assert.True((await h.Booking.BookAsync(new BookingRequest(h.Env(3).Id, h.At(16), Hour, "Back", TestKind.Load, ""), TestActors.Ben)).Succeeded);
    }

    [Fact]
    public async Task Admin_health_check_records_the_result_and_audits_it()
    {
        await using var h = await LeaseHarness.CreateAsync();
        h.Framework.SetFaults("env-5", new FaultProfile { FailHealth = true });

        var result = await h.DriveAsync(() => h.Admin.CheckHealthAsync(Admin, h.Env(5).Id, "user reports slowness"));

        Assert.True(result.Succeeded, result.Message);
        var environment = await h.EnvironmentAsync(5);
        Assert.Equal((1, HealthStatus.Degraded), (environment.ConsecutiveHealthFailures, environment.Health));
        Assert.Contains(await h.AuditAsync(), a => a.Action == AuditActions.AdminCheckHealth && a.Details.Contains("user reports slowness"));
    }

    [Fact]
    public async Task Admin_cleanup_resets_an_available_environment_and_quarantines_it_when_the_reset_fails()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var ok = await h.DriveAsync(() => h.Admin.CleanupAsync(Admin, h.Env(1).Id, "leftover files"));
        Assert.True(ok.Succeeded, ok.Message);
        Assert.Equal(EnvironmentState.Available, (await h.EnvironmentAsync(1)).State);

        h.Framework.SetFaults("env-2", new FaultProfile { FailReset = true });
        var failed = await h.DriveAsync(() => h.Admin.CleanupAsync(Admin, h.Env(2).Id, "leftover files"));
        Assert.Equal(AdminOutcome.Refused, failed.Outcome);
        var environment = await h.EnvironmentAsync(2);
        Assert.Equal(EnvironmentState.Quarantined, environment.State);
        Assert.StartsWith("Reset failed", environment.QuarantineReason);
    }

    [Fact]
    public async Task Admin_cleanup_of_a_leased_environment_is_refused()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var lease = await RunningLeaseAsync(h);

        var result = await h.DriveAsync(() => h.Admin.CleanupAsync(Admin, h.Env(1).Id, "tidy"));

        Assert.Equal(AdminOutcome.Refused, result.Outcome);
        Assert.Equal(ReservationState.Active, (await h.ReservationAsync(lease.Id)).State);
    }

    [Fact]
    public async Task Admin_fault_injection_changes_the_simulated_framework_and_can_hang_the_current_run()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var lease = await RunningLeaseAsync(h);

        var result = await h.DriveAsync(() => h.Admin.SetFaultsAsync(Admin, h.Env(1).Id, new FaultProfile { HealthLatencyMs = 500 }, hangCurrentRun: true, "drill"));

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("Env 1 now plays: health checks take 500 ms longer. Its current run now hangs.", result.Message);
        Assert.Contains(await h.AuditAsync(), a => a.Action == AuditActions.AdminFaults && a.Details.EndsWith("done — Env 1 now plays: health checks take 500 ms longer. Its current run now hangs."));
        Assert.Equal(500, h.Framework.FaultsOf("env-1").HealthLatencyMs);
        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(lease.Id)).State == ReservationState.Failed, TimeSpan.FromMinutes(30), "hang detected and stopped");
        Assert.Equal(TestRunState.Hung, (await h.ReservationAsync(lease.Id)).Runs.Single().State);
    }

    [Fact]
    public async Task Admin_actions_need_a_reason_of_limited_length_and_change_nothing_without_one()
    {
        await using var h = await LeaseHarness.CreateAsync();

        var empty = await h.Admin.QuarantineAsync(Admin, h.Env(1).Id, "   ", andForceRelease: false);
        var tooLong = await h.Admin.QuarantineAsync(Admin, h.Env(1).Id, new string('x', Rules.ReasonMaxLength + 1), andForceRelease: false);

        Assert.Equal((AdminOutcome.Invalid, AdminOutcome.Invalid), (empty.Outcome, tooLong.Outcome));
        Assert.Equal(EnvironmentState.Available, (await h.EnvironmentAsync(1)).State);
        Assert.Empty(await h.AuditAsync());
    }

    [Fact]
    public async Task A_non_admin_calling_each_admin_action_is_refused_and_nothing_changes()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var lease = await RunningLeaseAsync(h);
        await h.DriveAsync(() => h.Admin.QuarantineAsync(Admin, h.Env(2).Id, "prepared", andForceRelease: false));
        var before = await SnapshotAsync(h);
        var ana = TestActors.Ana;
        var env1 = h.Env(1).Id;

        AdminResult[] results =
        [
            await h.Admin.ForceReleaseAsync(ana, env1, "mine now"),
            await h.Admin.QuarantineAsync(ana, env1, "mine now", andForceRelease: true),
            await h.Admin.ReturnToServiceAsync(ana, h.Env(2).Id, "mine now", evenIfUnhealthy: true),
            await h.Admin.CheckHealthAsync(ana, env1, "mine now"),
            await h.Admin.CleanupAsync(ana, h.Env(3).Id, "mine now"),
            await h.Admin.BlockMaintenanceAsync(ana, h.Env(3).Id, h.At(15), h.At(16), "mine now", MaintenanceConflicts.Cancel),
            await h.Admin.EndMaintenanceAsync(ana, env1, "mine now"),
            await h.Admin.SetFaultsAsync(ana, env1, new FaultProfile { FailHealth = true }, hangCurrentRun: true, "mine now"),
        ];

        Assert.All(results, r => Assert.Equal(AdminOutcome.Forbidden, r.Outcome));
        Assert.Equal(before, await SnapshotAsync(h));
        Assert.Equal(ReservationState.Active, (await h.ReservationAsync(lease.Id)).State);
        Assert.Equal(FaultProfile.None, h.Framework.FaultsOf("env-1"));
    }

    private static async Task<string> SnapshotAsync(LeaseHarness h)
    {
        await using var db = h.Database.CreateDbContext();
        var environments = await db.Environments.AsNoTracking().OrderBy(e => e.Id)
            .Select(e => $"{e.Key}:{e.State}:{e.Health}:{e.QuarantineReason}:{e.LastHealthCheckUtc}:{e.Version}").ToListAsync();
        var reservations = await db.Reservations.AsNoTracking().OrderBy(r => r.Id).Select(r => $"{r.Id}:{r.State}:{r.Version}").ToListAsync();
        var counts = $"{await db.AuditEntries.CountAsync()}:{await db.MaintenanceWindows.CountAsync()}:{await db.Notifications.CountAsync()}";
        return string.Join("|", environments.Concat(reservations).Append(counts));
    }
}
