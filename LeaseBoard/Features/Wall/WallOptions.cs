using System.Security.Cryptography;
using System.Text;

namespace LeaseBoard.Features.Wall;

/// <summary>The wall display, from <c>LeaseBoard:Wall</c>.</summary>
public sealed class WallOptions
{
    public const string Section = "LeaseBoard:Wall";

    /// <summary>
    /// A secret that opens the wall (and the board hub) read-only without sign-in: <c>/wall?key=...</c>.
    /// Empty turns kiosk access off.
    /// </summary>
    public string? KioskKey { get; set; }

    public bool KioskEnabled => !string.IsNullOrEmpty(KioskKey);

    /// <summary>A running test silent for longer than this shows as hung. Not bound here: the wiring copies the lease engine's own setting, so both always agree.</summary>
    public TimeSpan HangTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Does <paramref name="candidate"/> match the kiosk key? In constant time, and never when no key is set.</summary>
    public bool IsKioskKey(string? candidate)
    {
        if (!KioskEnabled || string.IsNullOrEmpty(candidate)) return false;
        // Hash both so the comparison takes the same time whatever the lengths.
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(KioskKey!));
        var actual = SHA256.HashData(Encoding.UTF8.GetBytes(candidate));
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }
}

public enum WallAccess { SignedIn, Kiosk, WrongKey, NeedsSignIn }

public static class WallAccessRules
{
    /// <summary>A key, when given, decides on its own (a wrong key is refused even for a signed-in user: the URL is wrong).</summary>
    public static WallAccess Decide(System.Security.Claims.ClaimsPrincipal user, string? key, WallOptions options)
    {
        if (key is not null) return options.IsKioskKey(key) ? WallAccess.Kiosk : WallAccess.WrongKey;
        return user.Identity?.IsAuthenticated == true ? WallAccess.SignedIn : WallAccess.NeedsSignIn;
    }
}

/// <summary>The board hub's kiosk-key check, answered from the wall's settings.</summary>
public sealed class WallKioskKeyCheck(Microsoft.Extensions.Options.IOptionsMonitor<WallOptions> options) : LeaseBoard.Features.LiveUpdates.IKioskKeyCheck
{
    public bool IsKioskKey(string key) => options.CurrentValue.IsKioskKey(key);
}
