using System.Diagnostics;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Features.Booking;

/// <summary>
/// The headline proof of the overlap guard (DESIGN.md): many bookings at once, each through its own
/// service call on its own connections, with an outcome known in advance.
/// </summary>
[Collection(TransientRetryCollection.Name)]
public sealed class ConcurrentBookingTests(ITestOutputHelper output)
{
    private const int Attempts = 64;
    private const int SlotsPerEnvironment = 4;
    private const int Environments = 5;
    private const int ContestedSlots = Environments * SlotsPerEnvironment;

    /// <summary>
    /// The variants of one contested slot, as (start offset, length) in minutes from the slot's base.
    /// Every pair collides: most overlap outright, and variant 1 meets variant 0 and variant 3 only
    /// through the 10-minute changeover. A contested slot spans at most base..base+125 min, and slots
    /// on one environment are 3 h apart, so two different slots never collide.
    /// </summary>
    private static readonly (int Offset, int Length)[] Variants = [(0, 60), (65, 60), (30, 60), (5, 60)];

    private sealed record Attempt(int Number, int ContestedSlot, int EnvironmentNumber, DateTime StartUtc, TimeSpan Duration, Actor Actor);

    private sealed record Outcome(Attempt Attempt, BookingResult? Result, Exception? Error);

    private static List<Attempt> Plan(BookingHarness h) =>
        Enumerable.Range(0, Attempts).Select(number =>
        {
            var contested = number % ContestedSlots;                 // round robin: every slot gets 3 or 4 attempts
            var variant = Variants[number / ContestedSlots];
            var environment = contested / SlotsPerEnvironment + 1;
            var slotBase = h.At(8 + 3 * (contested % SlotsPerEnvironment), daysAhead: 1);
            return new Attempt(number, contested, environment, slotBase.AddMinutes(variant.Offset), TimeSpan.FromMinutes(variant.Length),
                new Actor($"local:user-{number:00}", $"User {number:00}", IsAdmin: false));
        }).ToList();

    [SkippableTheory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.SqlServer)]
    public async Task Concurrent_bookings_of_overlapping_slots_give_one_winner_per_slot_and_a_clean_conflict_to_every_other(DatabaseProvider provider)
    {
        await using var h = await BookingHarness.CreateAsync(provider, environments: Environments);
        var plan = Plan(h);
        Assert.Equal(Attempts, plan.Count);
        Assert.All(plan.GroupBy(a => a.ContestedSlot), g => Assert.InRange(g.Count(), 3, 4));

        using var retries = new TransientRetryCounter();
        ThreadPool.GetMinThreads(out var minWorkers, out var minCompletion);
        // Enough threads for every attempt to be inside the database at once (SQLite waits on a busy lock synchronously).
        ThreadPool.SetMinThreads(Math.Max(minWorkers, Attempts + 8), minCompletion);
        List<Outcome> outcomes;
        TimeSpan elapsed;
        try
        {
            var arrived = 0;
            var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var tasks = plan.Select(attempt => Task.Run(async () =>
            {
                if (Interlocked.Increment(ref arrived) == Attempts) allArrived.TrySetResult();
                await gate.Task;
                try
                {
                    var result = await h.Service.BookAsync(new BookingRequest(h.Env(attempt.EnvironmentNumber).Id, attempt.StartUtc, attempt.Duration,
                        $"Attempt {attempt.Number:00}", TestKind.Stress, $"attempt={attempt.Number}"), attempt.Actor);
                    return new Outcome(attempt, result, null);
                }
                catch (Exception e)
                {
                    return new Outcome(attempt, null, e);
                }
            })).ToList();

            await allArrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var clock = Stopwatch.StartNew();
            gate.SetResult();
            outcomes = [.. await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60))];
            elapsed = clock.Elapsed;
        }
        finally
        {
            ThreadPool.SetMinThreads(minWorkers, minCompletion);
        }

        var winners = outcomes.Where(o => o.Result?.Outcome == BookingOutcome.Booked).ToList();
        var conflicts = outcomes.Where(o => o.Result?.Outcome == BookingOutcome.Conflict).ToList();
        output.WriteLine($"provider={provider} attempts={Attempts} contested-slots={ContestedSlots} winners={winners.Count} " +
                         $"conflicts={conflicts.Count} retries={retries.Count} elapsed={elapsed.TotalMilliseconds:0} ms");

        // No exception escapes, and every attempt ends as a win or a clean conflict.
        Assert.Empty(outcomes.Where(o => o.Error is not null).Select(o => $"attempt {o.Attempt.Number}: {o.Error}"));
        Assert.Empty(outcomes.Where(o => o.Result!.Outcome is not (BookingOutcome.Booked or BookingOutcome.Conflict))
            .Select(o => $"attempt {o.Attempt.Number}: {o.Result!.Outcome} {o.Result.Message}"));

        // Exactly one winner per contested slot; every loser is told about that winner, with a sentence and a way out.
        Assert.All(outcomes.GroupBy(o => o.Attempt.ContestedSlot), slot =>
        {
            var slotWinners = slot.Where(o => o.Result!.Succeeded).ToList();
            Assert.True(slotWinners.Count == 1, $"contested slot {slot.Key} has {slotWinners.Count} winners");
            var winnerId = slotWinners[0].Result!.Reservation!.Id;
            Assert.All(slot.Where(o => !o.Result!.Succeeded), loser =>
            {
                Assert.Equal(winnerId, loser.Result!.Conflict?.ReservationId);
                Assert.StartsWith($"Env {loser.Attempt.EnvironmentNumber} is taken", loser.Result.Message);
                Assert.NotNull(loser.Result.Suggestion);
            });
        });
        Assert.Equal((ContestedSlots, Attempts - ContestedSlots), (winners.Count, conflicts.Count));

        // What the database holds: exactly the winners, each booked once and audited once, and no overlapping pair.
        var live = await h.Database.LiveReservationsAsync();
        Assert.Equal(winners.Select(w => w.Result!.Reservation!.Id).Order(), live.Select(r => r.Id).Order());
        Assert.All(winners, w =>
        {
            var stored = live.Single(r => r.Id == w.Result!.Reservation!.Id);
            Assert.Equal((h.Env(w.Attempt.EnvironmentNumber).Id, w.Attempt.StartUtc, w.Attempt.StartUtc + w.Attempt.Duration, w.Attempt.Actor.Id),
                (stored.EnvironmentId, stored.StartUtc, stored.EndUtc, stored.OwnerId));
        });
        await using (var db = h.Database.CreateDbContext())
        {
            var audited = await db.AuditEntries.Where(a => a.Action == AuditActions.ReservationBooked).Select(a => a.ReservationId).ToListAsync();
            Assert.Equal(live.Select(r => (int?)r.Id).Order(), audited.Order());
            // The row lock's bump is part of the transaction: only winners' bumps survive, whatever was retried or rolled back.
            var bumps = await db.Environments.OrderBy(e => e.SortOrder).Select(e => e.BookingVersion).ToListAsync();
            Assert.Equal(Enumerable.Repeat((long)SlotsPerEnvironment, Environments), bumps);
        }
        Assert.Empty(await OverlapCheck.FindOverlappingPairsAsync(h.Database, h.Options.ChangeoverBuffer));
    }
}
