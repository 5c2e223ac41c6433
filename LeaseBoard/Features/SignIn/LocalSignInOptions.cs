namespace LeaseBoard.Features.SignIn;

public sealed class LocalSignInOptions
{
    public const string Section = "LeaseBoard:LocalSignIn";

    /// <summary>The local sign-in trusts whatever name is typed: outside Development it must be allowed on purpose.</summary>
    public bool AllowOutsideDevelopment { get; set; }

    /// <summary>
    /// The local sign-in trusts a ticked box, so it may make an admin only in Development: where it is
    /// allowed elsewhere (AllowOutsideDevelopment) everyone signs in as a plain user.
    /// </summary>
    public static bool MayGrantAdmin(IHostEnvironment environment) => environment.IsDevelopment();
}
