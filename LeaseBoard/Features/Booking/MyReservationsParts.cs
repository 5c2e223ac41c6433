namespace LeaseBoard.Features.Booking;

/// <summary>
/// Components other features show on My reservations, below the reservations list (the queue's entries of the viewer).
/// Setup fills it, so the page renders them without Booking naming those features: they depend on Booking, not back.
/// </summary>
public sealed class MyReservationsParts
{
    /// <summary>Component types rendered in this order, without parameters (each reads the signed-in user itself).</summary>
    public List<Type> Below { get; } = [];
}
