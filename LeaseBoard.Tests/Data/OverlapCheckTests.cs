using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Tests.TestSupport;

namespace LeaseBoard.Tests.Data;

/// <summary>
/// The raw-SQL witness that the concurrency test relies on must itself be able to see an overlap:
/// seeded past the booking service, these rows include colliding pairs the guard would never allow.
/// </summary>
public sealed class OverlapCheckTests
{
    [SkippableTheory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.SqlServer)]
    public async Task The_overlap_check_finds_exactly_the_live_pairs_that_collide_with_the_buffer_included(DatabaseProvider provider)
    {
        await using var h = await BookingHarness.CreateAsync(provider);
        Task<Reservation> Seed(int environment, int fromHour, int fromMinute, int toHour, int toMinute, ReservationState state = ReservationState.Scheduled) =>
            new ReservationBuilder(h.Env(environment).Id, h.At(fromHour, fromMinute, daysAhead: 1), h.At(toHour, toMinute, daysAhead: 1))
                .InState(state).SaveAsync(h.Database);

        var overlapA = await Seed(1, 10, 0, 11, 0);
        var overlapB = await Seed(1, 10, 30, 11, 30, ReservationState.Active);
        var bufferA = await Seed(2, 10, 0, 11, 0);
        var bufferB = await Seed(2, 11, 5, 12, 0, ReservationState.Releasing);
        await Seed(3, 10, 0, 11, 0);                                   // env 3: the next one starts exactly after the changeover
        await Seed(3, 11, 10, 12, 0);
        await Seed(4, 10, 0, 11, 0, ReservationState.Cancelled);       // env 4: one of the two is no longer live
        await Seed(4, 10, 30, 11, 30);
        await Seed(5, 10, 0, 11, 0, ReservationState.Completed);       // env 5: neither is live
        await Seed(5, 10, 0, 11, 0, ReservationState.ForceReleased);

        var pairs = await OverlapCheck.FindOverlappingPairsAsync(h.Database, TimeSpan.FromMinutes(10));

        Assert.Equal([(overlapA.Id, overlapB.Id), (bufferA.Id, bufferB.Id)], pairs);
    }

    [SkippableTheory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.SqlServer)]
    public async Task Without_a_buffer_touching_reservations_do_not_collide(DatabaseProvider provider)
    {
        await using var h = await BookingHarness.CreateAsync(provider);
        await new ReservationBuilder(h.Env(1).Id, h.At(10, daysAhead: 1), h.At(11, daysAhead: 1)).SaveAsync(h.Database);
        await new ReservationBuilder(h.Env(1).Id, h.At(11, daysAhead: 1), h.At(12, daysAhead: 1)).SaveAsync(h.Database);

        Assert.Empty(await OverlapCheck.FindOverlappingPairsAsync(h.Database, TimeSpan.Zero));
        Assert.Single(await OverlapCheck.FindOverlappingPairsAsync(h.Database, TimeSpan.FromMinutes(5)));
    }
}
