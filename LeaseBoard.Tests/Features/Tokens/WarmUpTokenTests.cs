using System.Security.Claims;
using LeaseBoard.Domain;
using LeaseBoard.Features.Tokens;

namespace LeaseBoard.Tests.Features.Tokens;

/// <summary>The warm-up's bearer token works only while issued, only as issued, and makes a rehearsal only from its own scheme.</summary>
public sealed class WarmUpTokenTests
{
    [Fact]
    public void A_token_is_accepted_only_between_issue_and_revoke_and_a_new_issue_ends_the_one_before()
    {
        var warmUp = new WarmUpToken();
        Assert.False(warmUp.Accepts(WarmUpToken.Prefix + new string('0', 64)));

        var first = warmUp.Issue();
        Assert.StartsWith(WarmUpToken.Prefix, first);
        Assert.True(warmUp.Accepts(first));
        Assert.False(warmUp.Accepts(first[..^1] + (first[^1] == '0' ? '1' : '0')));
        Assert.False(warmUp.Accepts(first[..^1]));
        Assert.False(warmUp.Accepts(first + "0"));

        var second = warmUp.Issue();
        Assert.NotEqual(first, second);
        Assert.False(warmUp.Accepts(first));
        Assert.True(warmUp.Accepts(second));

        warmUp.Revoke();
        Assert.False(warmUp.Accepts(second));
    }

    [Fact]
    public void Only_an_identity_of_the_token_scheme_is_a_rehearsal()
    {
        var person = new Actor("local:ana", "Ana", IsAdmin: false);
        var fromToken = new ClaimsPrincipal(WarmUpToken.Identity());
        Assert.True(WarmUpToken.IsRehearsal(fromToken));
        Assert.True(WarmUpToken.Rehearsing(person, fromToken).IsRehearsal);

        // The same claim on a cookie's identity (or any other scheme's) makes nothing a rehearsal.
        var cookie = new ClaimsPrincipal(new ClaimsIdentity([new Claim(WarmUpToken.RehearsalClaim, "true")], "Cookies"));
        Assert.False(WarmUpToken.IsRehearsal(cookie));
        Assert.False(WarmUpToken.Rehearsing(person, cookie).IsRehearsal);
        Assert.False(WarmUpToken.IsRehearsal(new ClaimsPrincipal(new ClaimsIdentity())));
    }
}
