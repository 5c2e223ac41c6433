using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace LeaseBoard.Tests.Features.Booking;

/// <summary>
/// Issue 15 point 1: job scheduling and publishing follow the commit off the caller's path — a booking answers while
/// its follow-ups are still held — and run in commit order, one failing follow-up never stopping the others.
/// </summary>
public sealed class ReservationFollowUpsTests
{
    /// <summary>Records each reservation it is told of, and holds the first until the test lets it go.</summary>
    private sealed class HeldLifecycle : IReservationLifecycle
    {
        public readonly TaskCompletionSource Release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly List<int> Seen = [];

        public async Task ReservationChangedAsync(Reservation reservation, CancellationToken ct)
        {
            lock (Seen) Seen.Add(reservation.Id);
            await Release.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        }
    }

    private sealed class FailingLifecycle : IReservationLifecycle
    {
        public Task ReservationChangedAsync(Reservation reservation, CancellationToken ct) => throw new InvalidOperationException("job storage down");
    }

    private static async Task<(BookingHarness Harness, BookingService Service, ReservationFollowUps FollowUps)> ServiceWith(params IReservationLifecycle[] lifecycles)
    {
        var h = await BookingHarness.CreateAsync();
        var monitor = new StaticOptionsMonitor<BookingOptions>(h.Options);
        var followUps = new ReservationFollowUps(lifecycles, h.Events, h.Clock, NullLogger<ReservationFollowUps>.Instance);
        return (h, new BookingService(h.Database, monitor, new SlotGuard(h.Database, monitor, h.Clock, h.Turns), h.Clock, followUps, h.Telemetry, NullLogger<BookingService>.Instance), followUps);
    }

    [Fact]
    public async Task A_booking_answers_while_its_job_scheduling_is_still_held_and_its_event_follows_the_scheduling()
    {
        var held = new HeldLifecycle();
        var (h, service, followUps) = await ServiceWith(held);
        await using var harness = h;
        await using var _ = followUps;
        var events = new List<ReservationChanged>();
        using var subscription = h.Events.Subscribe(e =>
        {
            if (e is ReservationChanged changed) lock (events) events.Add(changed);
            return Task.CompletedTask;
        });

        var booked = await service.BookAsync(new BookingRequest(h.Env(1).Id, h.At(14), TimeSpan.FromHours(1), "Soak", TestKind.Load, ""), TestActors.Ana)
            .WaitAsync(TimeSpan.FromSeconds(30)); // before the fix this waited for the held scheduling
        Assert.True(booked.Succeeded, booked.Message);
        await Eventually.TrueAsync(() => { lock (held.Seen) return held.Seen.Count == 1; }, TimeSpan.FromSeconds(30), "the scheduling is told of the booking");
        lock (events) Assert.Empty(events); // the board hears of it once the jobs are in place

        held.Release.SetResult();
        await followUps.DrainedAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var changed = Assert.Single(events);
        Assert.Equal((booked.Reservation!.Id, ReservationState.Scheduled, ReservationChange.Booked), (changed.ReservationId, changed.State, changed.Change));
    }

    [Fact]
    public async Task Follow_ups_run_in_commit_order_and_a_failing_one_does_not_stop_the_rest()
    {
        var held = new HeldLifecycle();
        held.Release.SetResult();
        var (h, service, followUps) = await ServiceWith(new FailingLifecycle(), held);
        await using var harness = h;
        await using var _ = followUps;
        var events = new List<(int, ReservationChange)>();
        using var subscription = h.Events.Subscribe(e =>
        {
            if (e is ReservationChanged changed) lock (events) events.Add((changed.ReservationId, changed.Change));
            return Task.CompletedTask;
        });

        var first = (await service.BookAsync(new BookingRequest(h.Env(1).Id, h.At(14), TimeSpan.FromHours(1), "One", TestKind.Load, ""), TestActors.Ana)).Reservation!;
        var second = (await service.BookAsync(new BookingRequest(h.Env(2).Id, h.At(14), TimeSpan.FromHours(1), "Two", TestKind.Load, ""), TestActors.Ben)).Reservation!;
        Assert.True((await service.CancelAsync(first.Id, TestActors.Ana)).Succeeded);
        await followUps.DrainedAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([first.Id, second.Id, first.Id], held.Seen);
        Assert.Equal([(first.Id, ReservationChange.Booked), (second.Id, ReservationChange.Booked), (first.Id, ReservationChange.Cancelled)], events);
    }
}
