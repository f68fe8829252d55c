"""The visual policy editor: edit every part of a routing policy without touching YAML.

``page.PolicyEditorPage`` holds tabs of ``editor_tab.PolicyEditorTab``; each tab edits a plain
``document.PolicyDocument`` through undoable ``commands``, validated by the CLI's own loader.
"""
