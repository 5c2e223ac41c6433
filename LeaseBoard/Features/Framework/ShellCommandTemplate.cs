using System.Text;

namespace LeaseBoard.Features.Framework;

/// <summary>
/// A configured shell command with <c>{placeholders}</c>. Each placeholder becomes one single-quoted shell
/// word, so no value (a test spec with quotes, semicolons or <c>$(...)</c>) can end the quoting and run
/// something of its own. That only holds when the placeholder stands bare in the command: inside quotes
/// or after a <c>$</c> the value would control the quoting, so such commands are refused.
/// </summary>
internal static class ShellCommandTemplate
{
    public const string Environment = "environment";
    public const string Reservation = "reservation";
    public const string Token = "token";
    public const string Kind = "kind";
    public const string Spec = "spec";
    public const string Deadline = "deadline";

    /// <summary>Every placeholder with the environment variable that carries the same value.</summary>
    public static readonly IReadOnlyDictionary<string, string> Variables = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [Environment] = "LEASEBOARD_ENVIRONMENT",
        [Reservation] = "LEASEBOARD_RESERVATION",
        [Token] = "LEASEBOARD_FENCING_TOKEN",
        [Kind] = "LEASEBOARD_TEST_KIND",
        [Spec] = "LEASEBOARD_SPEC",
        [Deadline] = "LEASEBOARD_DEADLINE",
    };

    /// <summary>Replaces the placeholders with quoted values; throws <see cref="FormatException"/> for an unsafe or unavailable one.</summary>
    public static string Render(string template, IReadOnlyDictionary<string, string> values)
    {
        var command = new StringBuilder(template.Length + 64);
        var copied = 0;
        foreach (var placeholder in Scan(template))
        {
            if (!placeholder.Bare)
                throw new FormatException($"the placeholder {{{placeholder.Name}}} stands inside quotes or after '$'.");
            if (!values.TryGetValue(placeholder.Name, out var value))
                throw new FormatException($"the placeholder {{{placeholder.Name}}} is not available here.");
            command.Append(template, copied, placeholder.Start - copied).Append(Quote(value));
            copied = placeholder.Start + placeholder.Name.Length + 2;
        }
        return command.Append(template, copied, template.Length - copied).ToString();
    }

    /// <summary>Why <paramref name="template"/> cannot be used for <paramref name="setting"/>, or null when it can.</summary>
    public static string? Problem(string template, string setting, IReadOnlyCollection<string> allowed)
    {
        foreach (var placeholder in Scan(template))
        {
            if (!allowed.Contains(placeholder.Name))
                return $"{setting} cannot use {{{placeholder.Name}}}; it offers only {string.Join(", ", allowed.Select(a => $"{{{a}}}"))}.";
            if (!placeholder.Bare)
                return $"{setting} has {{{placeholder.Name}}} inside quotes or after '$'. Write it bare (it becomes one safely quoted word) " +
                       $"or use the environment variable ${Variables[placeholder.Name]}.";
        }
        return null;
    }

    /// <summary>POSIX single quoting: nothing inside '...' is special, and a ' is written as '\''.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", @"'\''", StringComparison.Ordinal) + "'";

    private readonly record struct Placeholder(int Start, string Name, bool Bare);

    /// <summary>Finds the known placeholders, following sh quoting far enough to tell whether each stands bare.</summary>
    private static IEnumerable<Placeholder> Scan(string template)
    {
        var quote = '\0';
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c == '{' && NameAt(template, i) is { } name)
            {
                yield return new Placeholder(i, name, Bare: quote == '\0' && (i == 0 || template[i - 1] != '$'));
                i += name.Length + 1;
            }
            else if (quote == '\'')
            {
                if (c == '\'') quote = '\0';
            }
            else if (c == '\\')
            {
                i++; // the next character is escaped: "\{spec}" stays literal
            }
            else if (quote == '"')
            {
                if (c == '"') quote = '\0';
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
        }
    }

    private static string? NameAt(string template, int open)
    {
        var close = template.IndexOf('}', open + 1);
        if (close < 0) return null;
        var name = template[(open + 1)..close];
        return Variables.ContainsKey(name) ? name : null;
    }
}
