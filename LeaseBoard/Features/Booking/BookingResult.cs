using LeaseBoard.Domain;

namespace LeaseBoard.Features.Booking;

public enum BookingOutcome { Booked, Moved, Cancelled, Released, Conflict, Invalid, LimitReached, Forbidden, NotFound }

/// <summary>A free or taken time range on one environment, in UTC.</summary>
public sealed record Slot(int EnvironmentId, string EnvironmentKey, string EnvironmentName, DateTime StartUtc, DateTime EndUtc)
{
    public TimeSpan Duration => EndUtc - StartUtc;
}

/// <summary>The slot another reservation holds, and whose it is.</summary>
public sealed record ConflictingReservation(int ReservationId, string Title, string OwnerName, Slot Slot)
{
    /// <summary>The one sentence for "this slot is taken"; <paramref name="when"/> is the taken range as the reader should see it.</summary>
    public string Sentence(string when, TimeSpan changeover) =>
        $"{Slot.EnvironmentName} is taken {when} by '{Title}' ({OwnerName}), with a {BookingRules.Describe(changeover)} changeover after it.";

    /// <summary>Short, for lists: "'Soak' (Ana) 2026-12-01 14:00 UTC–2026-12-01 15:00 UTC".</summary>
    public string Describe() => $"'{Title}' ({OwnerName}) {TimeText.Utc(Slot.StartUtc)}–{TimeText.Utc(Slot.EndUtc)}";
}

/// <summary>
/// Every outcome of a booking operation is a value with a sentence for the user; where possible it
/// says what would work instead (<see cref="Suggestion"/>).
/// </summary>
public sealed record BookingResult(
    BookingOutcome Outcome,
    string Message,
    Reservation? Reservation = null,
    ConflictingReservation? Conflict = null,
    Slot? Suggestion = null)
{
    public bool Succeeded => Outcome is BookingOutcome.Booked or BookingOutcome.Moved or BookingOutcome.Cancelled or BookingOutcome.Released;

    /// <summary>Free slots instead, each on another environment, earliest first (the first is <see cref="Suggestion"/>).</summary>
    public IReadOnlyList<Slot> Alternatives { get; init; } = Suggestion is null ? [] : [Suggestion];

    /// <summary>The request repeated an Idempotency-Key: this is the reservation the first request made.</summary>
    public bool Replayed { get; init; }

    public static BookingResult Booked(Reservation reservation, string message) => new(BookingOutcome.Booked, message, reservation);
    public static BookingResult Moved(Reservation reservation, string message) => new(BookingOutcome.Moved, message, reservation);
    public static BookingResult Cancelled(Reservation reservation, string message) => new(BookingOutcome.Cancelled, message, reservation);
    public static BookingResult Released(Reservation reservation, string message) => new(BookingOutcome.Released, message, reservation);
    public static BookingResult Invalid(string message, Slot? suggestion = null) => new(BookingOutcome.Invalid, message, Suggestion: suggestion);
    public static BookingResult LimitReached(string message) => new(BookingOutcome.LimitReached, message);
    public static BookingResult Forbidden(string message) => new(BookingOutcome.Forbidden, message);
    public static BookingResult NotFound(int reservationId) => new(BookingOutcome.NotFound, $"Reservation {reservationId} does not exist.");

    public static BookingResult Conflicting(ConflictingReservation? conflict, Slot? suggestion, string message) =>
        new(BookingOutcome.Conflict, message, Conflict: conflict, Suggestion: suggestion);
}

/// <summary>What a user asks for. <see cref="EnvironmentId"/> null means "any free environment".</summary>
public sealed record BookingRequest(int? EnvironmentId, DateTime StartUtc, TimeSpan Duration, string Title, TestKind TestKind, string TestSpec,
    string? IdempotencyKey = null)
{
    public DateTime EndUtc => StartUtc + Duration;
}
