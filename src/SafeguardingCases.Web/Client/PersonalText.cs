namespace SafeguardingCases.Web.Client.Generated.Models;

/// <summary>
/// A personal text as the API answers it: the text, or <c>{ "destroyed": true }</c> once the case's data key was destroyed
/// (DESTRUCTION-TWO-LEADS). Written into a page, it is the text, or "Destroyed".
/// </summary>
public partial class PersonalText
{
    public const string DestroyedText = "Destroyed";

    /// <summary>The text, or "Destroyed".</summary>
    public string Text => String ?? DestroyedText;

    /// <summary>Whether the text was destroyed with the case's key.</summary>
    public bool IsDestroyed => String is null;

    public override string ToString() => Text;
}
