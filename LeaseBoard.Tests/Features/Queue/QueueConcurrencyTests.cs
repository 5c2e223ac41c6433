using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Queue;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Features.Queue;

/// <summary>
/// The queue's headline property: placements never overlap people's bookings made at the same moment. Each round
/// queues random entries, then releases at once — behind a barrier, on real connections — random people's bookings
/// of "now" and placement passes of two placers (two app instances: one placer runs one pass at a time), and checks
/// with plain SQL that no two live reservations collide and that no entry was placed twice.
/// </summary>
[Collection(TransientRetryCollection.Name)]
public sealed class QueueConcurrencyTests(ITestOutputHelper output)
{
    private const int Rounds = 6;

    [SkippableTheory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.SqlServer)]
    public async Task Placements_never_overlap_bookings_made_at_the_same_moment_over_random_interleavings(DatabaseProvider provider)
    {
        await using var h = await BookingHarness.CreateAsync(provider, environments: 5);
        var queueOptions = new StaticOptionsMonitor<QueueOptions>(new QueueOptions { MaxWaitingPerUser = 50 });
        var bookingOptions = new StaticOptionsMonitor<BookingOptions>(h.Options);
        var queue = new QueueService(h.Database, bookingOptions, queueOptions, h.Clock, h.Events);
        // Two placers, as on two instances: each has its own booking service and guard, sharing only the database.
        var placers = Enumerable.Range(0, 2).Select(_ => new QueuePlacer(h.Database,
            new BookingService(h.Database, bookingOptions, new SlotGuard(h.Database, bookingOptions, h.Clock, h.Turns), h.Clock, h.FollowUps, h.Telemetry, NullLogger<BookingService>.Instance),
            bookingOptions, h.Clock, h.Events, NullLogger<QueuePlacer>.Instance)).ToList();

        ThreadPool.GetMinThreads(out var minWorkers, out var minCompletion);
        ThreadPool.SetMinThreads(Math.Max(minWorkers, 64), minCompletion);
        var (totalPlaced, totalBooked) = (0, 0);
        try
        {
            for (var round = 0; round < Rounds; round++)
            {
                var random = new Random(1600 + round);
                h.Clock.Advance(TimeSpan.FromHours(4)); // a fresh part of the day: earlier rounds' slots lie behind
                var owners = new[] { TestActors.Ana, TestActors.Ben, new Actor("local:cy", "Cy", false) };
                for (var i = 0; i < 8; i++)
                {
                    var allowed = random.Next(3) == 0 ? null : Enumerable.Range(0, random.Next(1, 4)).Select(_ => h.Env(random.Next(1, 6)).Id).Distinct().ToList();
                    var result = await queue.EnqueueAsync(new QueueRequest($"Queued {round}.{i}", TestKind.Chaos, "", TimeSpan.FromMinutes(5 * random.Next(4, 25)), allowed),
                        owners[random.Next(owners.Length)]);
                    Assert.True(result.Succeeded, result.Message);
                }

                var start = QueuePlacer.PlacementStart(h.Now, h.Options);
                var work = new List<Func<Task<int>>>();
                for (var person = 0; person < 10; person++)
                {
                    var (environment, offset, minutes) = (random.Next(1, 6), 5 * random.Next(0, 4), 5 * random.Next(4, 19));
                    var actor = new Actor($"local:person-{round}-{person}", $"Person {person}", false);
                    work.Add(async () => (await h.Service.BookAsync(new BookingRequest(h.Env(environment).Id, start.AddMinutes(offset), TimeSpan.FromMinutes(minutes),
                        $"Person {person}", TestKind.Load, ""), actor)).Succeeded ? 1 : 0);
                }
                for (var pass = 0; pass < 6; pass++)
                {
                    var placer = placers[pass % placers.Count];
                    work.Add(async () => (await placer.RunPassAsync()).Placed * 1000);
                }
                work = [.. work.OrderBy(_ => random.Next())];

                var arrived = 0;
                var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var tasks = work.Select(w => Task.Run(async () =>
                {
                    if (Interlocked.Increment(ref arrived) == work.Count) allArrived.TrySetResult();
                    await gate.Task;
                    return await w();
                })).ToList();
                await allArrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
                gate.SetResult();
                var results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(120));
                totalPlaced += results.Sum() / 1000;
                totalBooked += results.Sum(r => r % 1000);

                Assert.Empty(await OverlapCheck.FindOverlappingPairsAsync(h.Database, h.Options.ChangeoverBuffer));
            }
        }
        finally
        {
            ThreadPool.SetMinThreads(minWorkers, minCompletion);
        }

        await using var db = h.Database.CreateDbContext();
        var entries = await db.QueueEntries.AsNoTracking().ToListAsync();
        var fromQueue = await db.Reservations.AsNoTracking().Where(r => r.QueueEntryId != null).ToListAsync();
        output.WriteLine($"provider={provider} rounds={Rounds} entries={entries.Count} placed={totalPlaced} people-booked={totalBooked} still-waiting={entries.Count(e => e.State == QueueEntryState.Waiting)}");
        // Every placed entry has exactly one reservation, on an environment it allows, and every queue reservation belongs to a placed entry.
        Assert.Equal(entries.Where(e => e.State == QueueEntryState.Placed).Select(e => e.Id).Order(), fromQueue.Select(r => r.QueueEntryId!.Value).Order());
        Assert.All(fromQueue, r => Assert.True(entries.Single(e => e.Id == r.QueueEntryId).Allows(r.EnvironmentId), $"reservation {r.Id} on a forbidden environment"));
        Assert.Equal(totalPlaced, fromQueue.Count);
        Assert.True(totalPlaced > 0 && totalBooked > 0, "the rounds contested something: both people and the queue got slots");
    }
}
