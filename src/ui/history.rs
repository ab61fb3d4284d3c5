//! Back and forward through selections, like a browser's history.

use crate::analysis::selection::Selection;

/// How many earlier selections are kept.
const DEPTH: usize = 100;

/// The current selection and the ones before and after it.
#[derive(Debug, Default, Clone)]
pub struct History {
    past: Vec<Selection>,
    current: Selection,
    future: Vec<Selection>,
}

impl History {
    /// The selection every view follows.
    pub fn current(&self) -> &Selection {
        &self.current
    }

    /// Makes `next` current; the old one goes back in history.
    pub fn set(&mut self, next: Selection) {
        if next == self.current {
            return;
        }
        self.past.push(std::mem::replace(&mut self.current, next));
        if self.past.len() > DEPTH {
            self.past.remove(0);
        }
        self.future.clear();
    }

    /// Changes the current selection with `f`, recording the change.
    pub fn edit(&mut self, f: impl FnOnce(&mut Selection)) {
        let mut next = self.current.clone();
        f(&mut next);
        self.set(next);
    }

    /// Goes back one selection; false if there is none.
    pub fn back(&mut self) -> bool {
        match self.past.pop() {
            Some(prev) => {
                self.future.push(std::mem::replace(&mut self.current, prev));
                true
            }
            None => false,
        }
    }

    /// Goes forward one selection; false if there is none.
    pub fn forward(&mut self) -> bool {
        match self.future.pop() {
            Some(next) => {
                self.past.push(std::mem::replace(&mut self.current, next));
                true
            }
            None => false,
        }
    }

    /// Whether Back would do something.
    pub fn can_go_back(&self) -> bool {
        !self.past.is_empty()
    }

    /// Whether Forward would do something.
    pub fn can_go_forward(&self) -> bool {
        !self.future.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goes_back_and_forward() {
        let mut h = History::default();
        h.edit(|s| {
            s.categories.insert("math".into());
        });
        h.edit(|s| {
            s.accounts.insert("a".into());
        });
        assert_eq!(h.current().accounts.len(), 1);
        assert!(h.back());
        assert!(h.current().accounts.is_empty());
        assert!(h.back());
        assert!(h.current().is_empty());
        assert!(!h.back());
        assert!(h.forward());
        assert_eq!(h.current().categories.len(), 1);
        // A new selection drops the forward history.
        h.edit(|s| s.categories.clear());
        assert!(!h.can_go_forward());
        // Setting the same selection again records nothing.
        let past = h.past.len();
        h.set(h.current().clone());
        assert_eq!(h.past.len(), past);
    }
}
