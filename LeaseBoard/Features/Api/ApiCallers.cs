using System.Security.Claims;
using LeaseBoard.Features.Tokens;
using Microsoft.Identity.Web;

namespace LeaseBoard.Features.Api;

/// <summary>Who an API call counts against in the rate limit.</summary>
public static class ApiCallers
{
    /// <summary>
    /// The personal access token, else the Entra ID user (object id: every Entra caller behind one proxy or NAT
    /// would otherwise share one bucket), else the caller's address (the forwarded one, from a known proxy).
    /// </summary>
    public static string RateLimitKey(HttpContext http) => RateLimitKey(http.User, http.Connection.RemoteIpAddress);

    public static string RateLimitKey(ClaimsPrincipal user, System.Net.IPAddress? address) =>
        user.FindFirst(ApiTokenAuthentication.TokenIdClaim)?.Value is { Length: > 0 } tokenId ? "token:" + tokenId
        : user.GetObjectId() is { Length: > 0 } objectId ? "entra:" + objectId
        : "anonymous:" + address;
}
