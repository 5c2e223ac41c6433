using LeaseBoard.Features.Tokens;
using Microsoft.AspNetCore.Authentication;

namespace LeaseBoard.Setup;

public static class TokensSetup
{
    /// <summary>Personal access tokens: the service behind the tokens page and the bearer scheme the API and the feeds accept.</summary>
    public static WebApplicationBuilder AddTokens(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ApiTokenService>();
        builder.Services.AddSingleton<WarmUpToken>();
        builder.Services.AddHostedService<TokenUseWriter>();
        builder.Services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, ApiTokenAuthentication>(ApiTokenAuthentication.SchemeName, null);
        return builder;
    }
}
