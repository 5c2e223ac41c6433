using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Wall;

public static class WallGuard
{
    public const string Path = "/wall";

    /// <summary>
    /// The wall page allows anonymous requests so a kiosk can open it; this decides first: a right key
    /// passes, a wrong one gets a plain 403 page, no key needs a signed-in user. The page checks again.
    /// </summary>
    public static async Task GuardAsync(HttpContext http, Func<Task> next)
    {
        if (!HttpMethods.IsGet(http.Request.Method) || !http.Request.Path.Equals(Path, StringComparison.OrdinalIgnoreCase))
        {
            await next();
            return;
        }
        var options = http.RequestServices.GetRequiredService<IOptionsMonitor<WallOptions>>().CurrentValue;
        switch (WallAccessRules.Decide(http.User, http.Request.Query["key"].FirstOrDefault(), options))
        {
            case WallAccess.WrongKey:
                http.Response.StatusCode = StatusCodes.Status403Forbidden;
                http.Response.ContentType = "text/html; charset=utf-8";
                await http.Response.WriteAsync(RefusalPage);
                return;
            case WallAccess.NeedsSignIn:
                await http.ChallengeAsync();
                return;
            default:
                await next();
                return;
        }
    }

    private const string RefusalPage = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Wall · access refused</title>
        <style>body{background:#111;color:#eee;font:32px system-ui,sans-serif;display:flex;align-items:center;justify-content:center;height:100vh;margin:0}main{max-width:60ch;text-align:center}</style>
        </head><body><main data-testid="wall-refused"><h1>This wall key is not valid</h1>
        <p>Ask an admin for the current kiosk link (LeaseBoard:Wall:KioskKey), or open /wall signed in.</p></main></body></html>
        """;
}
