using System.Linq;
using Microsoft.CodeAnalysis;
using XformerDsl.Generator.Diagnostics;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Model
{
    /// <summary>
    /// A diagnostic waiting to be reported: the descriptor's ID (looked up in <see cref="DiagnosticDescriptors"/> when
    /// reported), where, and the message arguments, all equatable so the pipeline can cache it.
    /// </summary>
    internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, ImmutableEquatableArray<string> MessageArguments)
    {
        public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] messageArguments) =>
            new DiagnosticInfo(descriptor.Id, location, ImmutableEquatableArray.Create(messageArguments));

        public Diagnostic ToDiagnostic() =>
            Diagnostic.Create(DiagnosticDescriptors.ById(Id), Location?.ToLocation(), MessageArguments.Cast<object>().ToArray());
    }
}
