using System.Linq;
using XformerDsl.Generator.Model;

namespace XformerDsl.Generator.Emit
{
    /// <summary>
    /// One generated file per model: header, namespace and containing types, the class's XML doc, <c>Spec</c> and
    /// <c>Card</c>, then the module.
    /// </summary>
    internal static class ModelFileEmitter
    {
        public static string Emit(ModelToGenerate model)
        {
            var writer = new SourceWriter();
            HeaderEmitter.Emit(writer, model);
            writer.WriteLine();
            writer.WriteLine("#nullable enable");
            writer.WriteLine();

            var type = model.Type;
            if (type.Namespace is not null)
            {
                writer.WriteLine("namespace " + Names.DottedIdentifier(type.Namespace));
                writer.OpenBlock();
            }
            foreach (var containing in type.ContainingTypes)
            {
                writer.WriteLine(containing.Declaration);
                writer.OpenBlock();
            }

            ModelCardEmitter.EmitClassDocumentation(writer, model);
            writer.WriteLine($"[global::System.CodeDom.Compiler.GeneratedCode(\"XformerDsl.Generator\", \"{typeof(ModelFileEmitter).Assembly.GetName().Version}\")]");
            // What the trainer and the generators call: a model of one stack takes a padding mask; an encoder–decoder
            // whose decoder steps is a sequence-to-sequence model.
            var interfaces = new System.Collections.Generic.List<string>
            {
                !model.Spec.IsEncoderDecoder ? Names.SequenceModel
                : RecurrentEmitter.IsRecurrentEncoderDecoder(model.Spec) ? RecurrentEmitter.EncoderDecoderInterface
                : Names.SequenceToSequenceModel,
            };
            if (RecurrentEmitter.IsRecurrent(model.Spec))
                interfaces.Add(RecurrentEmitter.ModelInterface);
            interfaces.AddRange(System.Linq.Enumerable.SelectMany(Frame.FrameFeatures.Of(model.Spec), feature => feature.Interfaces(model.Spec)));
            string inputs = model.Spec.IsEncoderDecoder ? $"{Names.Tensor}, {Names.Tensor}, {Names.Tensor}" : $"{Names.Tensor}, {Names.Tensor}";
            writer.WriteLine($"partial class {Names.Identifier(type.Name)} : {Names.ModuleBase}<{inputs}>, {string.Join(", ", interfaces)}");
            writer.OpenBlock();
            ModelCardEmitter.EmitStaticMembers(writer, model);
            writer.WriteLine();
            if (model.Spec.IsEncoderDecoder)
                Frame.EncoderDecoderEmitter.Emit(writer, model);
            else
                Frame.ModelModuleEmitter.Emit(writer, model);
            if (model.ConvertsFrom is { } source)
            {
                writer.WriteLine();
                ConversionEmitter.Emit(writer, Names.Identifier(model.Type.Name), source);
            }
            writer.CloseBlock();

            foreach (var _ in type.ContainingTypes)
                writer.CloseBlock();
            if (type.Namespace is not null)
                writer.CloseBlock();
            return TypeParameterRenamer.AvoidOuterTypeParameters(writer.ToString(),
                type.ContainingTypes.SelectMany(containing => containing.TypeParameters).ToList());
        }
    }
}
