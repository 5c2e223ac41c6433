using System.Net;
using System.Security.Claims;
using LeaseBoard.Features.SignIn;
using LeaseBoard.Features.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Diagnostics;

namespace LeaseBoard.Features.Telemetry;

/// <summary>
/// The gate in front of <c>/metrics</c>: a caller from one of <see cref="TelemetryOptions.MetricsNetworks"/> (the
/// connection's address; a forwarded one counts only from a known proxy, see ProxySetup), a signed-in admin (cookie), or an
/// admin-scope API token of someone who is still an admin. Anyone else gets 401 (not signed in) or 403 (signed in, not an
/// admin) with a sentence saying what would work, never the sign-in page: scrapers are not browsers.
/// </summary>
public sealed class MetricsAccess(IReadOnlyList<IPNetwork> networks)
{
    public async Task GateAsync(HttpContext context, Func<Task> next)
    {
        if (FromAllowedNetwork(context.Connection.RemoteIpAddress))
        {
            await next();
            return;
        }
        var caller = await CallerAsync(context);
        if (caller?.IsInRole(Roles.Admin) == true)
        {
            await next();
            return;
        }
        await RefuseAsync(context, caller is null
            ? (StatusCodes.Status401Unauthorized, "Metrics are for admins: sign in as an admin, or send an admin API token (Authorization: Bearer lb_…).")
            : (StatusCodes.Status403Forbidden, $"Metrics are for admins, and {caller.Identity?.Name ?? "this caller"} is not one (an API token needs the admin scope)."));
    }

    public bool FromAllowedNetwork(IPAddress? address)
    {
        if (address is null || networks.Count == 0) return false;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (var network in networks)
            if (network.Contains(address)) return true;
        return false;
    }

    /// <summary>The API token's principal if one is sent, else the sign-in cookie's; null when neither signs anyone in.</summary>
    private static async Task<ClaimsPrincipal?> CallerAsync(HttpContext context)
    {
        var token = await context.AuthenticateAsync(ApiTokenAuthentication.SchemeName);
        if (token.Succeeded) return token.Principal;
        var cookie = await context.AuthenticateAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return cookie.Succeeded && cookie.Principal.Identity?.IsAuthenticated == true ? cookie.Principal : null;
    }

    private static async Task RefuseAsync(HttpContext context, (int Status, string Message) refusal)
    {
        // The pages' status-code re-execution would answer with the HTML not-found page.
        if (context.Features.Get<IStatusCodePagesFeature>() is { } pages) pages.Enabled = false;
        context.Response.StatusCode = refusal.Status;
        if (refusal.Status == StatusCodes.Status401Unauthorized) context.Response.Headers.WWWAuthenticate = "Bearer";
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(refusal.Message + " Prometheus servers may be allowed by network: LeaseBoard:Telemetry:MetricsNetworks.", context.RequestAborted);
    }
}
