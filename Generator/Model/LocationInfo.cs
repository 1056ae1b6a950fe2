using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace XformerDsl.Generator.Model
{
    /// <summary>
    /// Where a diagnostic points, as plain equatable data (file path and spans) instead of a <see cref="Location"/>,
    /// which would pin the syntax tree and defeat the incremental cache.
    /// </summary>
    internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
    {
        public static LocationInfo? From(Location? location) =>
            location is null || !location.IsInSource
                ? null
                : new LocationInfo(location.SourceTree?.FilePath ?? string.Empty, location.SourceSpan, location.GetLineSpan().Span);

        public static LocationInfo? From(SyntaxNode? node) => From(node?.GetLocation());

        public static LocationInfo? From(SyntaxToken token) => From(token.GetLocation());

        public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);
    }
}
