using Microsoft.CodeAnalysis.Text;

namespace XformerDsl.Generator.Tests.Infrastructure;

/// <summary>Source with one span marked as <c>[|…|]</c>, the location a diagnostic must point at.</summary>
public sealed record Markup(string Source, TextSpan Span)
{
    public static Markup Parse(string marked)
    {
        int start = marked.IndexOf("[|", StringComparison.Ordinal);
        int end = marked.IndexOf("|]", StringComparison.Ordinal);
        if (start < 0 || end < start || marked.IndexOf("[|", start + 2, StringComparison.Ordinal) >= 0)
            throw new ArgumentException("Mark exactly one span with [| and |].", nameof(marked));
        var source = marked.Remove(end, 2).Remove(start, 2);
        return new Markup(source, TextSpan.FromBounds(start, end - 2));
    }

    /// <summary>The marked text.</summary>
    public string Text => Source.Substring(Span.Start, Span.Length);
}
