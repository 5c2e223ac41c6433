using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using LeaseBoard.Domain;

namespace LeaseBoard.Features.Tokens;

/// <summary>
/// The bearer token the instance's warm-up calls its own API with, over loopback, before it says it is ready: 32 random
/// bytes made at start-up, held in memory only, never stored or logged, gone once the warm-up ends. Its caller is a
/// rehearsal — a booking it makes runs the whole path (HTTP, authentication, the guard, the answer) and rolls back — and
/// has no rate limit. Nothing else can present it: it exists for seconds and is never written anywhere.
/// </summary>
public sealed class WarmUpToken
{
    public const string Prefix = "lb_warmup_";
    public const string RehearsalClaim = "leaseboard:rehearsal";
    public const string CallerId = "system:warm-up";

    private byte[]? _secret;

    /// <summary>A new token; the one before it no longer works.</summary>
    public string Issue()
    {
        var token = Prefix + Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        Volatile.Write(ref _secret, Encoding.ASCII.GetBytes(token));
        return token;
    }

    public void Revoke() => Volatile.Write(ref _secret, null);

    public bool Accepts(string presented) =>
        Volatile.Read(ref _secret) is { } secret && presented.StartsWith(Prefix, StringComparison.Ordinal)
        && CryptographicOperations.FixedTimeEquals(secret, Encoding.ASCII.GetBytes(presented));

    /// <summary>The warm-up's principal: a book-scoped rehearsal of its own (its own rate-limit partition, exempt).</summary>
    public static ClaimsIdentity Identity() => new(
    [
        new Claim(ClaimTypes.NameIdentifier, CallerId),
        new Claim(ClaimTypes.Name, "Warm-up"),
        new Claim(ApiTokenAuthentication.ScopeClaim, "book"),
        new Claim(RehearsalClaim, "true"),
    ], ApiTokenAuthentication.SchemeName);

    /// <summary>Whether <paramref name="user"/> was authenticated by <see cref="Accepts"/> (the claim counts only from this scheme).</summary>
    public static bool IsRehearsal(ClaimsPrincipal user) =>
        user.Identities.Any(i => i.AuthenticationType == ApiTokenAuthentication.SchemeName && i.HasClaim(RehearsalClaim, "true"));

    /// <summary>The actor the API books for: the signed-in one, a rehearsal when it is the warm-up.</summary>
    public static Actor Rehearsing(Actor actor, ClaimsPrincipal user) => IsRehearsal(user) ? actor with { IsRehearsal = true } : actor;
}
