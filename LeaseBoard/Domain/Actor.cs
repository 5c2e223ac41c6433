namespace LeaseBoard.Domain;

/// <summary>Who is acting, always taken from the server-side user (or <see cref="System"/> for jobs).</summary>
public sealed record Actor(string Id, string DisplayName, bool IsAdmin)
{
    public static readonly Actor System = new("system", "LeaseBoard", IsAdmin: true);

    public bool MayChange(Reservation reservation) => IsAdmin || reservation.OwnerId == Id;

    /// <summary>The instance's own warm-up: what it books runs the whole path and rolls back (nothing stored, no one told).</summary>
    public bool IsRehearsal { get; init; }
}
