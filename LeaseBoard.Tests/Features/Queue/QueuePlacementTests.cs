using LeaseBoard.Domain;
using LeaseBoard.Features.Queue;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Tests.Features.Queue;

/// <summary>The queue on the lease engine as the app wires it (fake clock, recorded jobs, the supervise beat with its queue pass).</summary>
public sealed class QueuePlacementTests
{
    private static QueueRequest Request(string title, int minutes, string spec = "duration=5", DateTime? mustFinishBy = null, IReadOnlyList<int>? environments = null) =>
        new(title, TestKind.Load, spec, TimeSpan.FromMinutes(minutes), environments, MustFinishByUtc: mustFinishBy);

    private static async Task<QueueEntryView> EnqueueAsync(LeaseHarness h, QueueRequest request, Actor actor)
    {
        var result = await h.Queue.EnqueueAsync(request, actor);
        Assert.True(result.Outcome == QueueOutcome.Queued, result.Message);
        return result.Entry!;
    }

    private static async Task<QueueEntry> EntryAsync(LeaseHarness h, int id)
    {
        await using var db = h.Database.CreateDbContext();
        return await db.QueueEntries.AsNoTracking().FirstAsync(e => e.Id == id);
    }

    [Fact]
    public async Task A_queued_entry_on_a_free_pool_is_placed_at_once_as_a_reservation_starting_now_that_runs()
    {
        await using var h = await LeaseHarness.CreateAsync(environments: 2);
        var entry = await EnqueueAsync(h, Request("Soak asap", 30), TestActors.Ana);
        var pass = await h.Placer.RunPassAsync();
        Assert.Equal(1, pass.Placed);

        var placed = await EntryAsync(h, entry.Id);
        Assert.Equal(QueueEntryState.Placed, placed.State);
        var reservation = await h.ReservationAsync(placed.ReservationId!.Value);
        Assert.Equal((entry.Id, "local:ana", TimeSpan.FromMinutes(30)), (reservation.QueueEntryId!.Value, reservation.OwnerId, reservation.Duration));
        Assert.True(reservation.StartUtc <= h.Now && h.Now - reservation.StartUtc < TimeSpan.FromMinutes(5), $"starts {reservation.StartUtc:O}, now {h.Now:O}");
        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(reservation.Id)).State == ReservationState.Active, TimeSpan.FromMinutes(2), "the placed lease started");

        // A second pass places nothing twice.
        Assert.Equal(0, (await h.Placer.RunPassAsync()).Placed);
        await using var db = h.Database.CreateDbContext();
        Assert.Equal(1, await db.Reservations.CountAsync(r => r.QueueEntryId == entry.Id));
    }

    [Fact]
    public async Task Two_owners_alternate_so_one_owners_many_entries_never_starve_anothers_one()
    {
        await using var h = await LeaseHarness.CreateAsync(environments: 1);
        // The pool is busy: Ana queues three entries, then Ben one.
        await h.BookAsync(1, h.At(9, 5), TimeSpan.FromMinutes(20), spec: "duration=5", actor: TestActors.Admin);
        var a1 = await EnqueueAsync(h, Request("Ana 1", 20), TestActors.Ana);
        var a2 = await EnqueueAsync(h, Request("Ana 2", 20), TestActors.Ana);
        var a3 = await EnqueueAsync(h, Request("Ana 3", 20), TestActors.Ana);
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        var b1 = await EnqueueAsync(h, Request("Ben 1", 20), TestActors.Ben);

        var listed = await h.Queue.ListAsync(null);
        Assert.Equal([a1.Id, b1.Id, a2.Id, a3.Id], listed.Where(e => e.State == QueueEntryState.Waiting).Select(e => e.Id));
        Assert.Equal([1, 2, 3, 4], listed.Where(e => e.State == QueueEntryState.Waiting).Select(e => e.Position!.Value));

        await h.AdvanceUntilAsync(async () => (await EntryAsync(h, a3.Id)).State == QueueEntryState.Placed, TimeSpan.FromHours(3), "all four placed");
        var placed = new List<QueueEntry>();
        foreach (var id in new[] { a1.Id, a2.Id, a3.Id, b1.Id }) placed.Add(await EntryAsync(h, id));
        Assert.Equal(["Ana 1", "Ben 1", "Ana 2", "Ana 3"], placed.OrderBy(e => e.PlacedUtc).Select(e => e.Title));
        Assert.Empty(await OverlapCheck.FindOverlappingPairsAsync(h.Database, TimeSpan.FromMinutes(10)));
    }

    [Fact]
    public async Task An_early_finish_releases_the_environment_at_once_and_is_backfilled_within_one_supervise_beat()
    {
        await using var h = await LeaseHarness.CreateAsync(environments: 1);
        // A two-hour slot whose test finishes after ten minutes.
        var booked = await h.BookAsync(1, h.At(9, 5), TimeSpan.FromHours(2), spec: "duration=10");
        var entry = await EnqueueAsync(h, Request("Ben's soak", 60), TestActors.Ben);
        Assert.Equal(0, (await h.Placer.RunPassAsync()).Placed);
        Assert.NotNull((await h.Queue.ListAsync("local:ben")).Single().EstimatedStartUtc); // after Ana's slot and its changeover

        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(booked.Id)).State == ReservationState.Completed, TimeSpan.FromMinutes(30),
            "the early finish ended the lease", supervise: true);
        var ended = await h.ReservationAsync(booked.Id);
        Assert.True(ended.EndedUtc < ended.EndUtc - TimeSpan.FromMinutes(90), $"the lease ended at {ended.EndedUtc:O}, its slot at {ended.EndUtc:O}");

        await h.AdvanceUntilAsync(async () => (await EntryAsync(h, entry.Id)).State == QueueEntryState.Placed, LeaseHarness.SupervisePeriod,
            "placed within one supervise beat of the early end");
        var placed = await EntryAsync(h, entry.Id);
        Assert.InRange(placed.PlacedUtc!.Value - ended.EndedUtc!.Value, TimeSpan.Zero, LeaseHarness.SupervisePeriod);
        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(placed.ReservationId!.Value)).State == ReservationState.Active, TimeSpan.FromMinutes(5),
            "the backfilled lease started after the cleanup");
        Assert.Empty(await OverlapCheck.FindOverlappingPairsAsync(h.Database, TimeSpan.FromMinutes(10)));

        // Ben is told, once.
        var watcher = h.NotificationWatcher;
        await watcher.HandleQueueAsync(new LeaseBoard.Features.LiveUpdates.QueueChanged(entry.Id, "local:ben", QueueEntryState.Placed, placed.ReservationId));
        await watcher.HandleQueueAsync(new LeaseBoard.Features.LiveUpdates.QueueChanged(entry.Id, "local:ben", QueueEntryState.Placed, placed.ReservationId));
        var told = await h.Notifications.LatestAsync("local:ben");
        Assert.Single(told, n => n.Kind == NotificationKind.QueuePlaced && n.ReservationId == placed.ReservationId);
    }

    [Fact]
    public async Task An_entry_that_can_no_longer_finish_in_time_expires_and_its_owner_is_told()
    {
        await using var h = await LeaseHarness.CreateAsync(environments: 1);
        await h.NotificationWatcher.StartAsync(CancellationToken.None);
        await h.BookAsync(1, h.At(9, 5), TimeSpan.FromHours(3), spec: "duration=170");
        var entry = await EnqueueAsync(h, Request("Must run by 11", 60, mustFinishBy: h.At(10, 45)), TestActors.Ben);

        await h.AdvanceUntilAsync(async () => (await EntryAsync(h, entry.Id)).State != QueueEntryState.Waiting, TimeSpan.FromHours(1), "the entry expired");
        var expired = await EntryAsync(h, entry.Id);
        Assert.Equal(QueueEntryState.Expired, expired.State);
        // When the pass expired it (the harness's clock may have moved on since, while the work after it ran).
        var expiredAt = expired.UpdatedUtc;
        Assert.True(expiredAt + expired.Duration > expired.MustFinishByUtc, "expired only once it could no longer be met");
        Assert.True(expiredAt - LeaseHarness.SupervisePeriod + expired.Duration <= expired.MustFinishByUtc, "and no later than one beat after that");
        Assert.Null(expired.ReservationId);
        Assert.StartsWith("Expired:", expired.Outcome);

        var told = await Eventually.MatchesAsync(() => h.Notifications.LatestAsync("local:ben"), n => n.Any(x => x.Kind == NotificationKind.QueueExpired),
            TimeSpan.FromSeconds(10), "Ben's expiry notification");
        Assert.Contains("Must run by 11", told.Single(n => n.Kind == NotificationKind.QueueExpired).Text);
        await h.NotificationWatcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Queued_placements_keep_to_the_owners_limits_and_say_why_they_wait()
    {
        await using var h = await LeaseHarness.CreateAsync(new() { ["Booking:MaxUpcomingPerUser"] = "1" }, environments: 3);
        await h.BookAsync(1, h.At(12), TimeSpan.FromHours(1), actor: TestActors.Ana);
        var entry = await EnqueueAsync(h, Request("Over the limit", 30), TestActors.Ana);
        Assert.Equal(0, (await h.Placer.RunPassAsync()).Placed);
        var waiting = await EntryAsync(h, entry.Id);
        Assert.Equal(QueueEntryState.Waiting, waiting.State);
        Assert.Contains("upcoming reservations", waiting.Outcome);
    }
}
