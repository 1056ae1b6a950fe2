using System;
using System.Text;

namespace XformerDsl.Generator.Emit
{
    /// <summary>
    /// Writes indented C# line by line (after System.Text.Json's generator). Lines end in <c>\n</c> on every OS so
    /// the generated source is byte-identical everywhere; multi-line text is indented line by line.
    /// </summary>
    internal sealed class SourceWriter
    {
        private const int SpacesPerLevel = 4;
        private readonly StringBuilder _builder = new StringBuilder();
        private int _indentation;

        public void WriteLine() => _builder.Append('\n');

        public void WriteLine(string text)
        {
            foreach (var line in text.Split('\n'))
            {
                var trimmed = line.TrimEnd('\r');
                if (trimmed.Length > 0)
                    _builder.Append(' ', _indentation * SpacesPerLevel).Append(trimmed);
                _builder.Append('\n');
            }
        }

        /// <summary>Writes <c>{</c> and indents what follows.</summary>
        public void OpenBlock()
        {
            WriteLine("{");
            _indentation++;
        }

        /// <summary>Unindents and writes <c>}</c> followed by <paramref name="suffix"/> (e.g. <c>;</c>).</summary>
        public void CloseBlock(string suffix = "")
        {
            if (_indentation == 0)
                throw new InvalidOperationException("CloseBlock without a matching OpenBlock.");
            _indentation--;
            WriteLine("}" + suffix);
        }

        /// <summary>Runs <paramref name="body"/> one level deeper (for a single-statement body without braces).</summary>
        public void Indented(Action body)
        {
            _indentation++;
            body();
            _indentation--;
        }

        public override string ToString() => _builder.ToString();
    }
}
