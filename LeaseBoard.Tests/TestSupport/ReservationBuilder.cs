using LeaseBoard.Domain;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>
/// Puts a reservation straight into the database, past the booking service: for states the lease
/// engine would set (Active, Completed, ...) and for data the service would refuse on purpose.
/// </summary>
public sealed class ReservationBuilder(int environmentId, DateTime startUtc, DateTime endUtc)
{
    private Actor _owner = TestActors.Ana;
    private ReservationState _state = ReservationState.Scheduled;
    private string _title = "Seeded test";

    public ReservationBuilder OwnedBy(Actor owner) { _owner = owner; return this; }
    public ReservationBuilder InState(ReservationState state) { _state = state; return this; }
    public ReservationBuilder Titled(string title) { _title = title; return this; }

    public Reservation Build() => new()
    {
        EnvironmentId = environmentId,
        OwnerId = _owner.Id,
        OwnerName = _owner.DisplayName,
        Title = _title,
        TestKind = TestKind.Load,
        StartUtc = startUtc,
        EndUtc = endUtc,
        State = _state,
        CreatedUtc = startUtc,
        UpdatedUtc = startUtc,
    };

    public async Task<Reservation> SaveAsync(TestDatabase database)
    {
        var reservation = Build();
        await using var db = database.CreateDbContext();
        db.Reservations.Add(reservation);
        await db.SaveChangesAsync();
        return reservation;
    }
}
