using LeaseBoard.Domain;
using LeaseBoard.Features.Admin;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Framework;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Tests.TestSupport;

namespace LeaseBoard.Tests.Features.Admin;

/// <summary>The edges of quarantine: leases that end while it lasts, health readings that go stale, and audit entries that must match what happened.</summary>
public sealed class QuarantineEdgeTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly Actor Admin = TestActors.Admin;

    [Fact]
    public async Task Returning_to_service_after_a_lease_ended_during_quarantine_resets_first_and_stays_quarantined_when_the_reset_fails()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var lease = await h.BookAsync(1, h.At(9, 5), Hour * 2);
        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(lease.Id)).Runs.SingleOrDefault()?.State == TestRunState.Running,
            TimeSpan.FromMinutes(5), "lease runs");
        await h.DriveAsync(() => h.Admin.QuarantineAsync(Admin, h.Env(1).Id, "watch it", andForceRelease: false));
        Assert.True((await h.DriveAsync(() => h.Admin.ForceReleaseAsync(Admin, h.Env(1).Id, "end it"))).Succeeded);
        await h.AdvanceUntilAsync(async () => !(await h.ReservationAsync(lease.Id)).Runs.Single().State.IsOpen(), TimeSpan.FromMinutes(5), "run stopped");
        Assert.Equal(EnvironmentState.Quarantined, (await h.EnvironmentAsync(1)).State); // no cleanup ran: it was out of service
        h.Framework.SetFaults("env-1", new FaultProfile { FailReset = true });

        var refused = await h.DriveAsync(() => h.Admin.ReturnToServiceAsync(Admin, h.Env(1).Id, "done watching", evenIfUnhealthy: false));

        Assert.Equal(AdminOutcome.Refused, refused.Outcome);
        Assert.Contains("stays quarantined", refused.Message);
        Assert.Contains("disk still holds test data", refused.Message);
        var environment = await h.EnvironmentAsync(1);
        Assert.Equal((EnvironmentState.Quarantined, "watch it"), (environment.State, environment.QuarantineReason));

        h.Framework.SetFaults("env-1", FaultProfile.None);
        var returned = await h.DriveAsync(() => h.Admin.ReturnToServiceAsync(Admin, h.Env(1).Id, "reset works again", evenIfUnhealthy: false));
        Assert.True(returned.Succeeded, returned.Message);
        Assert.Equal(EnvironmentState.Available, (await h.EnvironmentAsync(1)).State);
    }

    [Fact]
    public async Task A_health_probe_whose_reading_went_stale_while_an_admin_returned_the_environment_does_not_quarantine_it_again()
    {
        await using var h = await LeaseHarness.CreateAsync(new() { ["Leases:UnhealthyAfterFailures"] = "1" });
        var id = h.Env(2).Id;
        await h.DriveAsync(() => h.Admin.QuarantineAsync(Admin, id, "flaky", andForceRelease: false));
        h.Framework.SetFaults("env-2", new FaultProfile { FailHealth = true, HealthLatencyMs = 5000 });
        var probe = h.Care.ProbeHealthAsync(id, CancellationToken.None); // waits on fake time for its answer
        Assert.False(probe.IsCompleted);
        h.Framework.SetFaults("env-2", new FaultProfile { FailHealth = true });

        var returned = await h.DriveAsync(() => h.Admin.ReturnToServiceAsync(Admin, id, "need it for the demo", evenIfUnhealthy: true));
        Assert.True(returned.Succeeded, returned.Message);
        await h.DriveAsync(() => probe); // the framework answers (or the read times out, and is retried) as fake time moves on

        var environment = await h.EnvironmentAsync(2);
        Assert.Equal((EnvironmentState.Available, HealthStatus.Unhealthy), (environment.State, environment.Health));
        // A fresh reading, with nothing changed meanwhile, still quarantines.
        await h.DriveAsync(() => h.Care.ProbeHealthAsync(id, CancellationToken.None));
        Assert.Equal(EnvironmentState.Quarantined, (await h.EnvironmentAsync(2)).State);
    }

    [Fact]
    public async Task A_return_to_service_interrupted_after_its_change_still_has_its_audit_entry()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var id = h.Env(3).Id;
        await h.DriveAsync(() => h.Admin.QuarantineAsync(Admin, id, "check cabling", andForceRelease: false));

        await InterruptedAtTheChangeAsync(h, id, ct => h.Admin.ReturnToServiceAsync(Admin, id, "cabling fine", evenIfUnhealthy: false, ct),
            EnvironmentState.Available);

        Assert.Equal(EnvironmentState.Available, (await h.EnvironmentAsync(3)).State);
        var audit = Assert.Single(await h.AuditAsync(), a => a.Action == AuditActions.AdminReturn);
        Assert.Contains("Reason: cabling fine Outcome: done", audit.Details);
    }

    [Fact]
    public async Task A_quarantine_interrupted_after_its_change_still_has_its_admin_audit_entry()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var id = h.Env(4).Id;

        await InterruptedAtTheChangeAsync(h, id, ct => h.Admin.QuarantineAsync(Admin, id, "disk errors", andForceRelease: false, ct),
            EnvironmentState.Quarantined);

        Assert.Equal(EnvironmentState.Quarantined, (await h.EnvironmentAsync(4)).State);
        var audit = Assert.Single(await h.AuditAsync(), a => a.Action == AuditActions.AdminQuarantine);
        Assert.Contains("Reason: disk errors Outcome: done", audit.Details);
    }

    [Fact]
    public async Task Maintenance_blocked_and_ended_with_an_interruption_after_the_change_still_have_their_admin_audit_entries()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var id = h.Env(2).Id;

        await InterruptedAtTheChangeAsync(h, id, ct => h.Admin.BlockMaintenanceAsync(Admin, id, h.At(12), h.At(15), "Firmware upgrade", MaintenanceConflicts.Refuse, ct));
        await InterruptedAtTheChangeAsync(h, id, ct => h.Admin.EndMaintenanceAsync(Admin, id, "Upgrade postponed", ct));

        var audit = await h.AuditAsync();
        Assert.Contains("Reason: Firmware upgrade Outcome: done", Assert.Single(audit, a => a.Action == AuditActions.AdminMaintenance).Details);
        Assert.Contains("Reason: Upgrade postponed Outcome: done", Assert.Single(audit, a => a.Action == AuditActions.AdminMaintenanceEnded).Details);
    }

    /// <summary>Runs an admin action whose caller goes away the moment the change is announced (it was committed then): an audit entry written afterwards is lost.</summary>
    private static async Task InterruptedAtTheChangeAsync(LeaseHarness h, int environmentId, Func<CancellationToken, Task> act, EnvironmentState? to = null)
    {
        using var interrupt = new CancellationTokenSource();
        using var subscription = h.Events.Subscribe(e =>
        {
            if (e is EnvironmentChanged changed && changed.EnvironmentId == environmentId && (to is null || changed.State == to)) interrupt.Cancel();
            return Task.CompletedTask;
        });
        try
        {
            await h.DriveAsync(() => act(interrupt.Token));
        }
        catch (OperationCanceledException)
        {
            // The caller left; what was committed stays, and its audit entry must be among it.
        }
        Assert.True(interrupt.IsCancellationRequested, "the change was announced");
    }
}
