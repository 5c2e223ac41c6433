namespace LeaseBoard.Domain;

/// <summary>Limits that are part of the data model rather than configuration.</summary>
public static class Rules
{
    public const int TitleMaxLength = 120;
    public const int TestSpecMaxLength = 4000;
    public const int ReasonMaxLength = 500;

    /// <summary>Cuts text to fit a column (outcome and detail columns hold 1,000 characters, audit details 2,000), marking the cut.</summary>
    public static string Truncate(this string text, int max = 1000) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
