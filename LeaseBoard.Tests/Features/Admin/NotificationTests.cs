using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.LiveUpdates;
using Microsoft.EntityFrameworkCore;
using LeaseBoard.Features.Admin;
using LeaseBoard.Features.Notifications;
using LeaseBoard.Tests.TestSupport;

namespace LeaseBoard.Tests.Features.Admin;

/// <summary>Owners are told what happened to their reservations: written from the engine's board events and the sweep.</summary>
public sealed class NotificationTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static Task<List<NotificationRow>> KindsAsync(LeaseHarness h, string userId, params NotificationKind[] kinds) =>
        Eventually.MatchesAsync(() => h.Notifications.LatestAsync(userId), list => kinds.All(k => list.Any(n => n.Kind == k)), Wait,
            $"notifications {string.Join(", ", kinds)}");

    [Fact]
    public async Task Notification_owner_is_told_when_the_lease_starts_ends_soon_and_is_force_released()
    {
        await using var h = await LeaseHarness.CreateAsync();
        await h.NotificationWatcher.StartAsync(CancellationToken.None);
        var lease = await h.BookAsync(1, h.At(9, 5), Hour, spec: "duration=100"); // still running near the end of the slot
        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(lease.Id)).State == ReservationState.Active, TimeSpan.FromMinutes(5), "lease starts");
        await KindsAsync(h, TestActors.Ana.Id, NotificationKind.LeaseStarted);

        await h.AdvanceAsync(TimeSpan.FromMinutes(52));
        Assert.Equal(1, await h.Notifications.SendEndsSoonAsync(CancellationToken.None));
        Assert.Equal(0, await h.Notifications.SendEndsSoonAsync(CancellationToken.None)); // once per lease

        await h.DriveAsync(() => h.Admin.ForceReleaseAsync(TestActors.Admin, h.Env(1).Id, "Needed for the incident"));
        var all = await KindsAsync(h, TestActors.Ana.Id, NotificationKind.LeaseStarted, NotificationKind.EndsSoon, NotificationKind.ForceReleased);
        Assert.Contains("Needed for the incident", all.Single(n => n.Kind == NotificationKind.ForceReleased).Text);
        Assert.Empty(await h.Notifications.LatestAsync(TestActors.Ben.Id));
    }

    [Fact]
    public async Task Notification_owner_is_told_when_the_test_hangs_and_when_a_quarantine_puts_their_reservation_at_risk()
    {
        await using var h = await LeaseHarness.CreateAsync(new() { ["Framework:Simulated:Faults:env-1:HangAtPercent"] = "10" }, environments: 1);
        await h.NotificationWatcher.StartAsync(CancellationToken.None);
        var lease = await h.BookAsync(1, h.At(9, 5), Hour);
        var later = await h.BookAsync(1, h.At(14), Hour, actor: TestActors.Ben);

        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(lease.Id)).State == ReservationState.Failed, TimeSpan.FromMinutes(40), "hung and stopped");
        await KindsAsync(h, TestActors.Ana.Id, NotificationKind.Hung);

        await h.DriveAsync(() => h.Admin.QuarantineAsync(TestActors.Admin, h.Env(1).Id, "Broken fan", andForceRelease: false));
        var ben = await KindsAsync(h, TestActors.Ben.Id, NotificationKind.AtRisk);
        Assert.Contains("Broken fan", ben.Single().Text);
        Assert.True((await h.ReservationAsync(later.Id)).AtRisk);
    }

    [Fact]
    public async Task Notifications_are_marked_read_per_user_and_pruned_after_the_retention()
    {
        await using var h = await LeaseHarness.CreateAsync();
        await h.Notifications.NotifyAsync(TestActors.Ana.Id, NotificationKind.Moved, null, "one", CancellationToken.None);
        await h.Notifications.NotifyAsync(TestActors.Ben.Id, NotificationKind.Moved, null, "two", CancellationToken.None);

        await h.Notifications.MarkAllReadAsync(TestActors.Ana.Id);
        Assert.Equal((0, 1), (await h.Notifications.UnreadCountAsync(TestActors.Ana.Id), await h.Notifications.UnreadCountAsync(TestActors.Ben.Id)));

        h.Clock.Advance(new NotificationOptions().Retention + TimeSpan.FromMinutes(1));
        await h.Notifications.NotifyAsync(TestActors.Ana.Id, NotificationKind.Moved, null, "fresh", CancellationToken.None);
        Assert.Equal(2, await h.Notifications.PruneAsync(CancellationToken.None));
        Assert.Equal("fresh", Assert.Single(await h.Notifications.LatestAsync(TestActors.Ana.Id)).Text);
    }
    [Fact]
    public void The_watcher_handles_only_events_of_this_instance()
    {
        var started = new ReservationChanged(1, 1, ReservationState.Active, ReservationChange.Started);

        Assert.True(NotificationWatcher.Handles(started));
        Assert.False(NotificationWatcher.Handles(started with { Origin = "another-instance" })); // that instance tells the owner
    }

    [SkippableTheory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.SqlServer)]
    public async Task The_database_keeps_one_notification_per_user_reservation_and_kind_but_lets_moves_repeat(DatabaseProvider provider)
    {
        TestDatabase.SkipUnlessAvailable(provider);
        await using var database = await TestDatabase.CreateAsync(provider);
        var environment = (await database.EnvironmentsAsync())[0];
        int reservationId;
        await using (var db = await database.CreateDbContextAsync())
        {
            var reservation = new ReservationBuilder(environment.Id, DateTime.UtcNow, DateTime.UtcNow.AddHours(1)).Build();
            db.Reservations.Add(reservation);
            await db.SaveChangesAsync();
            reservationId = reservation.Id;
        }
        Notification Of(NotificationKind kind) => new() { UserId = "local:ana", Kind = kind, ReservationId = reservationId, Text = kind.ToString(), AtUtc = DateTime.UtcNow };
        await using (var db = await database.CreateDbContextAsync())
        {
            db.Notifications.AddRange(Of(NotificationKind.LeaseStarted), Of(NotificationKind.Moved), Of(NotificationKind.Moved));
            await db.SaveChangesAsync();
        }

        await using var again = await database.CreateDbContextAsync();
        again.Notifications.Add(Of(NotificationKind.LeaseStarted));
        await Assert.ThrowsAsync<DbUpdateException>(() => again.SaveChangesAsync());
    }
}
