using LeaseBoard.Domain;
using LeaseBoard.Features.Admin;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Tests.Features.Admin;

/// <summary>Maintenance windows: refused over reservations unless they are moved or cancelled, and then taken time for booking.</summary>
public sealed class MaintenanceWindowTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    [Fact]
    public async Task Maintenance_over_reservations_is_refused_with_the_list_of_them_and_changes_nothing()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var inTheWay = await h.BookAsync(2, h.At(13), Hour);

        var result = await h.Admin.BlockMaintenanceAsync(TestActors.Admin, h.Env(2).Id, h.At(12), h.At(15), "Firmware upgrade", MaintenanceConflicts.Refuse);

        Assert.Equal(AdminOutcome.Refused, result.Outcome);
        Assert.Equal(inTheWay.Id, Assert.Single(result.Conflicts!).ReservationId);
        Assert.Contains(inTheWay.Title, result.Message);
        await using var db = h.Database.CreateDbContext();
        Assert.Empty(await db.MaintenanceWindows.ToListAsync());
        Assert.Contains(await h.AuditAsync(), a => a.Action == AuditActions.AdminMaintenance && a.Details.Contains("refused"));
    }

    [Fact]
    public async Task Maintenance_window_moves_reservations_in_the_way_and_tells_their_owners()
    {
        await using var h = await LeaseHarness.CreateAsync();
        await h.NotificationWatcher.StartAsync(CancellationToken.None); // owners hear of it the one way: the board event
        var inTheWay = await h.BookAsync(2, h.At(13), Hour);

        var result = await h.Admin.BlockMaintenanceAsync(TestActors.Admin, h.Env(2).Id, h.At(12), h.At(15), "Firmware upgrade", MaintenanceConflicts.Move);

        Assert.True(result.Succeeded, result.Message);
        var moved = await h.ReservationAsync(inTheWay.Id);
        Assert.NotEqual(h.Env(2).Id, moved.EnvironmentId);
        Assert.Equal((h.At(13), ReservationState.Scheduled), (moved.StartUtc, moved.State));
        var told = Assert.Single(await Eventually.MatchesAsync(() => h.Notifications.LatestAsync(TestActors.Ana.Id), list => list.Count > 0, TimeSpan.FromSeconds(10), "the owner's notification"));
        Assert.Equal(NotificationKind.Moved, told.Kind);
        Assert.Contains("blocked for maintenance", told.Text);
    }

    [Fact]
    public async Task Maintenance_window_cancels_reservations_in_the_way_when_asked_and_tells_their_owners()
    {
        await using var h = await LeaseHarness.CreateAsync();
        await h.NotificationWatcher.StartAsync(CancellationToken.None);
        var inTheWay = await h.BookAsync(2, h.At(13), Hour);

        var result = await h.Admin.BlockMaintenanceAsync(TestActors.Admin, h.Env(2).Id, h.At(12), h.At(15), "Rack move", MaintenanceConflicts.Cancel);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(ReservationState.Cancelled, (await h.ReservationAsync(inTheWay.Id)).State);
        var told = Assert.Single(await Eventually.MatchesAsync(() => h.Notifications.LatestAsync(TestActors.Ana.Id), list => list.Count > 0, TimeSpan.FromSeconds(10), "the owner's notification"));
        Assert.Equal(NotificationKind.Cancelled, told.Kind);
        Assert.Contains("blocked for maintenance", told.Text);
    }

    [Fact]
    public async Task Maintenance_time_is_taken_for_booking_and_the_next_free_slot_skips_it()
    {
        await using var h = await LeaseHarness.CreateAsync(environments: 1);
        var blocked = await h.Admin.BlockMaintenanceAsync(TestActors.Admin, h.Env(1).Id, h.At(12), h.At(15), "Power work", MaintenanceConflicts.Refuse);
        Assert.True(blocked.Succeeded, blocked.Message);

        var inside = await h.Booking.BookAsync(new BookingRequest(h.Env(1).Id, h.At(13), Hour, "Inside", TestKind.Load, ""), TestActors.Ben);
        var reachingIn = await h.Booking.BookAsync(new BookingRequest(h.Env(1).Id, h.At(11), Hour, "Changeover reaches in", TestKind.Load, ""), TestActors.Ben);
        var slot = await h.Booking.NextFreeSlotAsync(Hour, h.Env(1).Id, h.At(11, 30));

        Assert.False(inside.Succeeded);
        Assert.Contains("maintenance", inside.Message);
        Assert.Contains("Power work", inside.Message);
        Assert.False(reachingIn.Succeeded);
        Assert.NotNull(slot);
        Assert.True(slot.StartUtc >= h.At(15), $"next free {slot.StartUtc}");
        Assert.True((await h.Booking.BookAsync(new BookingRequest(h.Env(1).Id, h.At(15), Hour, "Right after", TestKind.Load, ""), TestActors.Ben)).Succeeded);
    }

    [Fact]
    public async Task Maintenance_time_sends_an_any_environment_booking_elsewhere_and_refuses_a_move_into_it()
    {
        await using var h = await LeaseHarness.CreateAsync(environments: 2);
        await h.Admin.BlockMaintenanceAsync(TestActors.Admin, h.Env(1).Id, h.At(12), h.At(15), "Power work", MaintenanceConflicts.Refuse);
        var elsewhere = await h.BookAsync(2, h.At(16), Hour);

        var any = await h.Booking.BookAsync(new BookingRequest(null, h.At(13), Hour, "Anywhere", TestKind.Load, ""), TestActors.Ben);
        var move = await h.Booking.MoveAsync(elsewhere.Id, h.Env(1).Id, h.At(14), h.At(15), TestActors.Ana);

        Assert.True(any.Succeeded, any.Message);
        Assert.Equal(h.Env(2).Id, any.Reservation!.EnvironmentId);
        Assert.False(move.Succeeded);
        Assert.Contains("maintenance", move.Message);
    }

    [Fact]
    public async Task Maintenance_window_can_be_removed_and_its_time_booked_again()
    {
        await using var h = await LeaseHarness.CreateAsync(environments: 1);
        await h.Admin.BlockMaintenanceAsync(TestActors.Admin, h.Env(1).Id, h.At(12), h.At(15), "Power work", MaintenanceConflicts.Refuse);

        var ended = await h.Admin.EndMaintenanceAsync(TestActors.Admin, h.Env(1).Id, "Power work postponed");

        Assert.True(ended.Succeeded, ended.Message);
        Assert.True((await h.Booking.BookAsync(new BookingRequest(h.Env(1).Id, h.At(13), Hour, "Inside", TestKind.Load, ""), TestActors.Ben)).Succeeded);
        Assert.Equal(AdminOutcome.Forbidden, (await h.Admin.EndMaintenanceAsync(TestActors.Ben, h.Env(1).Id, "mine")).Outcome);
    }

    [Fact]
    public async Task Maintenance_window_cannot_cancel_a_running_lease_and_says_so()
    {
        await using var h = await LeaseHarness.CreateAsync(environments: 1);
        var lease = await h.BookAsync(1, h.At(9, 5), Hour);
        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(lease.Id)).State == ReservationState.Active, TimeSpan.FromMinutes(5), "lease starts");

        var result = await h.Admin.BlockMaintenanceAsync(TestActors.Admin, h.Env(1).Id, h.At(9, 30), h.At(11), "urgent", MaintenanceConflicts.Cancel);

        Assert.Equal(AdminOutcome.Refused, result.Outcome);
        Assert.Contains("force-release", result.Message);
        Assert.Equal(ReservationState.Active, (await h.ReservationAsync(lease.Id)).State);
    }
}
